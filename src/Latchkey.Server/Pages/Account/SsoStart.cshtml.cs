using Latchkey.Server.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

/// <summary>Sends the browser to an upstream provider (authorization code + PKCE, state and nonce: see SsoHosting).</summary>
[EnableRateLimiting("signin")]
public sealed partial class SsoStartModel(SsoProviderDirectory providers, IOptionsMonitor<OpenIdConnectOptions> oidc, ILogger<SsoStartModel> logger) : PageModel
{
    public async Task<IActionResult> OnGetAsync(string name, string? returnUrl, [FromQuery(Name = "login_hint")] string? loginHint, CancellationToken cancellationToken)
    {
        var provider = providers.Find(name);
        if (provider is null)
        {
            return NotFound();
        }

        // The provider's discovery document and keys are fetched (and cached) before the redirect, so an unreachable
        // or misconfigured provider is a plain message on the sign-in page, not a server error.
        // (GitHub is plain OAuth 2.0 with fixed endpoints: nothing to discover.)
        var scheme = SsoProviderDirectory.SchemeFor(provider);
        try
        {
            if (!provider.IsGitHub)
            {
                await oidc.Get(scheme).ConfigurationManager!.GetConfigurationAsync(cancellationToken);
            }
        }
        catch (InvalidOperationException ex)
        {
            LogProviderUnavailable(logger, provider.Name, ex.Message);
            return Redirect("/account/login?message=sso-unavailable");
        }

        var safeReturn = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        var properties = new AuthenticationProperties { RedirectUri = "/account/sso/complete?returnUrl=" + Uri.EscapeDataString(safeReturn) };
        if (!string.IsNullOrWhiteSpace(loginHint) && loginHint.Length <= 254)
        {
            properties.Items["login_hint"] = loginHint.Trim();
        }

        return Challenge(properties, scheme);
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Identity provider {Provider} is unavailable: {Reason}")]
    private static partial void LogProviderUnavailable(ILogger logger, string provider, string reason);
}
