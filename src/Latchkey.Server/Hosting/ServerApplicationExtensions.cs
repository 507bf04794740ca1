using Latchkey.Server.Api;
using Latchkey.Server.Codex;
using Latchkey.Server.Configuration;
using Latchkey.Server.Gateway;
using Latchkey.Server.OAuth;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Server.Hosting;

public static class ServerApplicationExtensions
{
    private static readonly Lazy<byte[]> SiteCss = new(() => Resource("Latchkey.Server.site.css"));
    private static readonly Lazy<byte[]> ConsoleJs = new(() => Resource("Latchkey.Server.console.js"));
    private static readonly Lazy<byte[]> PasskeysJs = new(() => Resource("Latchkey.Server.passkeys.js"));

    private static byte[] Resource(string name)
    {
        using var stream = typeof(ServerApplicationExtensions).Assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static WebApplication UseLatchkeyServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseLatchkeyMetrics();
        // ForwardedHeadersMiddleware trusts every peer when its KnownProxies and KnownNetworks are both empty, so it
        // runs only when the operator has named the proxies; otherwise X-Forwarded-* is ignored entirely.
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LatchkeyServerOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseExceptionHandler(error => error.Run(ErrorResponses.WriteAsync));
        // Empty error responses of pages get a readable page; API and OAuth errors always carry their own body.
        app.UseStatusCodePagesWithReExecute("/status/{0}");
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // Authorization responses carry codes in URLs; never leak them through Referer.
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
            await next();
        });
        app.UseRouting();
        app.UseMiddleware<PageStatusCodes>();
        app.UseRateLimiter();
        app.UseMiddleware<RequestBodyGuard>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapLatchkeyProtocol();
        app.MapWhoami();
        app.MapCodex();
        app.MapLatchkeyGateway();
        app.MapLatchkeyApi();
        app.MapLatchkeyOpenApi();
        app.MapRazorPages();
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (report.Status == HealthStatus.Healthy)
        {
            return context.Response.WriteAsync("ok");
        }

        context.Response.Headers.RetryAfter = ErrorResponses.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsync("unavailable: " + string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}")));
    }

    private static void MapLatchkeyProtocol(this WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", (ProtocolEndpoints e) => e.Discovery());
        app.MapGet("/.well-known/oauth-authorization-server", (ProtocolEndpoints e) => e.Discovery());
        app.MapGet("/.well-known/jwks.json", (ProtocolEndpoints e, CancellationToken ct) => e.Jwks(ct));
        app.MapPost("/oauth/token", (TokenEndpoint e, HttpContext c) => e.HandleAsync(c)).RequireRateLimiting("token").OAuthEndpoint();
        app.MapPost("/oauth/device_authorization", (ProtocolEndpoints e, HttpContext c) => e.DeviceAuthorization(c)).RequireRateLimiting("token").OAuthEndpoint();
        app.MapPost("/oauth/revoke", (ProtocolEndpoints e, HttpContext c) => e.Revoke(c)).RequireRateLimiting("token").OAuthEndpoint();
        app.MapPost("/oauth/introspect", (ProtocolEndpoints e, HttpContext c) => e.Introspect(c)).RequireRateLimiting("token").OAuthEndpoint();
        app.MapMethods("/oauth/userinfo", [HttpMethods.Get, HttpMethods.Post], (ProtocolEndpoints e, HttpContext c) => e.UserInfo(c)).OAuthEndpoint();
        // Liveness runs no check at all (the process answers); readiness runs the checks tagged "ready".
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync });
        foreach (var (path, body, type) in new[] { ("/css/site.css", SiteCss, "text/css; charset=utf-8"), ("/js/console.js", ConsoleJs, "text/javascript; charset=utf-8"), ("/js/passkeys.js", PasskeysJs, "text/javascript; charset=utf-8") })
        {
            app.MapGet(path, () => Results.Bytes(body.Value, type))
                .AddEndpointFilter(async (context, next) =>
                {
                    context.HttpContext.Response.Headers.CacheControl = "public, max-age=3600";
                    return await next(context);
                });
        }
    }
}
