using System.Security.Claims;
using Latchkey.Server.Configuration;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Latchkey.Server.Hosting;

/// <summary>Single sign-on: one OpenID Connect scheme per configured upstream provider, and the services behind it.</summary>
public static partial class SsoHosting
{
    public static IServiceCollection AddLatchkeySsoServices(this IServiceCollection services)
    {
        services.AddSingleton<ExternalIdentityRepository>();
        services.AddSingleton<SsoDomainRepository>();
        services.AddSingleton<SsoProviderDirectory>();
        services.AddSingleton<SsoDomainService>();
        services.AddSingleton<ExternalSignInService>();
        return services;
    }

    /// <summary>
    /// Authorization code flow with PKCE (RFC 9700 §2.1.1) to each provider; the handler checks `state` against its
    /// correlation cookie and the id_token's `nonce`, issuer, audience, signature (from the provider's JWKS) and expiry
    /// (OIDC Core §3.1.3.7). Nothing from the provider is kept but the identity, in a short-lived cookie.
    /// </summary>
    public static AuthenticationBuilder AddLatchkeySso(this AuthenticationBuilder builder, SsoOptions sso, Action<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> configureExternalCookie)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sso);
        builder.AddCookie(SessionSchemes.External, configureExternalCookie);
        foreach (var provider in sso.Providers)
        {
            var p = provider;
            if (p.IsGitHub)
            {
                builder.AddOAuth(SsoProviderDirectory.SchemeFor(p), p.ResolveDisplayName(), o => ConfigureGitHub(o, p));
            }
            else
            {
                builder.AddOpenIdConnect(SsoProviderDirectory.SchemeFor(p), p.ResolveDisplayName(), o => Configure(o, p));
            }
        }

        return builder;
    }

    private static void Configure(OpenIdConnectOptions o, SsoProviderOptions p)
    {
        var authority = p.ResolveAuthority();
        o.Authority = authority;
        o.ClientId = p.ClientId;
        o.ClientSecret = p.ClientSecret;
        o.ResponseType = OpenIdConnectResponseType.Code;
        // The code comes back in the query of a top-level GET, so the SameSite=Lax correlation cookie travels with it.
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.UsePkce = true;
        o.PushedAuthorizationBehavior = PushedAuthorizationBehavior.Disable;
        o.Scope.Clear();
        foreach (var scope in p.ResolveScopes())
        {
            o.Scope.Add(scope);
        }

        o.CallbackPath = p.CallbackPath;
        o.SignInScheme = SessionSchemes.External;
        o.MapInboundClaims = false;
        o.SaveTokens = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.UseTokenLifetime = false;
        o.DisableTelemetry = true;
        o.RequireHttpsMetadata = !(Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback);
        o.TokenValidationParameters.NameClaimType = "name";
        o.ProtocolValidator.RequireNonce = true;
        foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.HttpOnly = true;
        }

        o.Events.OnRedirectToIdentityProvider = context =>
        {
            if (context.Properties.Items.TryGetValue("login_hint", out var hint) && !string.IsNullOrEmpty(hint))
            {
                context.ProtocolMessage.LoginHint = hint;
            }

            return Task.CompletedTask;
        };
        o.Events.OnTicketReceived = context =>
        {
            context.Principal = new ClaimsPrincipal(SsoClaims.Map(p, context.Principal!));
            return Task.CompletedTask;
        };
        // A failed or cancelled upstream sign-in (bad state, invalid id_token, error from the provider) is a 4xx-grade
        // event for the person, never a 500: back to the sign-in page with a plain message, details only in the log.
        o.Events.OnRemoteFailure = context => RemoteFailure(context, p);
        o.Events.OnAccessDenied = AccessDenied;
    }

    /// <summary>
    /// GitHub (OAuth 2.0): authorization code with PKCE and `state` checked against the correlation cookie by the
    /// handler; the identity from `/user` and `/user/emails` with the access token, which is then dropped (GitHubIdentity).
    /// </summary>
    private static void ConfigureGitHub(OAuthOptions o, SsoProviderOptions p)
    {
        var authority = p.ResolveAuthority()!;
        var api = p.ResolveApiBaseUrl()!;
        o.ClientId = p.ClientId;
        o.ClientSecret = p.ClientSecret!;
        o.AuthorizationEndpoint = authority + "/login/oauth/authorize";
        o.TokenEndpoint = authority + "/login/oauth/access_token";
        o.UserInformationEndpoint = api + "/user";
        o.UsePkce = true;
        o.CallbackPath = p.CallbackPath;
        o.SignInScheme = SessionSchemes.External;
        o.SaveTokens = false;
        o.Scope.Clear();
        foreach (var scope in p.ResolveScopes())
        {
            o.Scope.Add(scope);
        }

        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.CorrelationCookie.HttpOnly = true;
        o.Events.OnCreatingTicket = async context =>
        {
            using var user = await GitHubGetAsync(context, o.UserInformationEndpoint);
            using var emails = await GitHubGetAsync(context, api + "/user/emails");
            var identity = GitHubIdentity.Map(p, user.RootElement, emails.RootElement)
                ?? throw new AuthenticationFailureException("GitHub's /user answer has no account id.");
            context.Principal = new ClaimsPrincipal(identity);
        };
        o.Events.OnRemoteFailure = context => RemoteFailure(context, p);
        o.Events.OnAccessDenied = AccessDenied;
    }

    private static async Task<JsonDocument> GitHubGetAsync(OAuthCreatingTicketContext context, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.AccessToken);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.UserAgent.ParseAdd("Latchkey"); // GitHub's API refuses requests without one
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            throw new AuthenticationFailureException($"GitHub answered {(int)response.StatusCode} for {new Uri(url).AbsolutePath}.");
        }

        await using var body = await response.Content.ReadAsStreamAsync(context.HttpContext.RequestAborted);
        return await JsonDocument.ParseAsync(body, cancellationToken: context.HttpContext.RequestAborted);
    }

    private static Task RemoteFailure(RemoteFailureContext context, SsoProviderOptions p)
    {
        // The failure names what went wrong (state, nonce, signature, issuer, an API status); it carries no token or secret.
        LogRemoteFailure(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Latchkey.Server.Sso"), p.Name, context.Failure?.Message ?? "unknown");
        context.Response.Redirect("/account/login?message=sso-failed");
        context.HandleResponse();
        return Task.CompletedTask;
    }

    private static Task AccessDenied(AccessDeniedContext context)
    {
        context.Response.Redirect("/account/login?message=sso-cancelled");
        context.HandleResponse();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Single sign-on through {Provider} failed: {Reason}")]
    private static partial void LogRemoteFailure(ILogger logger, string provider, string reason);
}
