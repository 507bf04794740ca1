using Latchkey.Server.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

/// <summary>Sends the browser to an upstream provider (authorization code + PKCE, state and nonce: see SsoHosting).</summary>
[EnableRateLimiting("signin")]
public sealed class SsoStartModel(SsoProviderDirectory providers) : PageModel
{
    public IActionResult OnGet(string name, string? returnUrl, [FromQuery(Name = "login_hint")] string? loginHint)
    {
        var provider = providers.Find(name);
        if (provider is null)
        {
            return NotFound();
        }

        var safeReturn = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        var properties = new AuthenticationProperties { RedirectUri = "/account/sso/complete?returnUrl=" + Uri.EscapeDataString(safeReturn) };
        if (!string.IsNullOrWhiteSpace(loginHint) && loginHint.Length <= 254)
        {
            properties.Items["login_hint"] = loginHint.Trim();
        }

        return Challenge(properties, SsoProviderDirectory.SchemeFor(provider));
    }
}
