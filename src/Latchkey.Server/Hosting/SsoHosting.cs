using System.Security.Claims;
using Latchkey.Server.Configuration;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
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
            builder.AddOpenIdConnect(SsoProviderDirectory.SchemeFor(p), p.ResolveDisplayName(), o => Configure(o, p));
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
        o.Events.OnRemoteFailure = context =>
        {
            // The failure names what went wrong (state, nonce, signature, issuer…); it carries no token or secret.
            LogRemoteFailure(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Latchkey.Server.Sso"), p.Name, context.Failure?.Message ?? "unknown");
            context.Response.Redirect("/account/login?message=sso-failed");
            context.HandleResponse();
            return Task.CompletedTask;
        };
        o.Events.OnAccessDenied = context =>
        {
            context.Response.Redirect("/account/login?message=sso-cancelled");
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Single sign-on through {Provider} failed: {Reason}")]
    private static partial void LogRemoteFailure(ILogger logger, string provider, string reason);
}
