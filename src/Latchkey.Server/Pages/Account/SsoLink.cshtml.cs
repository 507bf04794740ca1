using Latchkey.Server.Sso;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Links a pending upstream identity to the signed-in account — only when the account was proved with its password and
/// second factor after the upstream sign-in (docs/server-security.md, "Account linking"). The POST is antiforgery-checked,
/// so another site cannot link an identity to someone's account.
/// </summary>
[Authorize]
public sealed class SsoLinkModel(ExternalSignInService externalSignIn, SsoProviderDirectory providers) : PageModel
{
    public ExternalIdentity? Identity { get; private set; }

    public string? ProviderName { get; private set; }

    public string? AccountEmail { get; private set; }

    public string ReturnUrl { get; private set; } = "/";

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? returnUrl)
    {
        ReturnUrl = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        (Identity, _) = await PendingAsync();
        ProviderName = providers.Find(Identity?.Provider)?.ResolveDisplayName();
        AccountEmail = User.FindFirst(SessionClaims.Email)?.Value;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? returnUrl, CancellationToken cancellationToken)
    {
        ReturnUrl = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        var (identity, issuedAt) = await PendingAsync();
        if (identity is null)
        {
            Error = "There is no single sign-on waiting to be linked. Start again from the sign-in page.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        // Proof of the existing account: this session signed in with the password and a second factor, after the
        // upstream sign-in. An older session, or one made by single sign-on, proves nothing about this identity.
        var amr = AuthenticationMethods.Parse(SessionClaims.GetAmr(User));
        var provedAfter = SessionClaims.GetAuthTime(User) >= issuedAt;
        if (!amr.Contains(AuthenticationMethods.Password) || !amr.Contains(AuthenticationMethods.MultipleFactors) || !provedAfter)
        {
            Error = "To link, sign in to your existing account with its password and second factor first.";
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (!await externalSignIn.LinkProvedAccountAsync(identity, SessionClaims.GetUserId(User)!, ip, cancellationToken))
        {
            await HttpContext.SignOutAsync(SessionSchemes.External);
            Error = "That identity is already linked to an account.";
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }

        await HttpContext.SignOutAsync(SessionSchemes.External);
        return Redirect(ReturnUrl);
    }

    private async Task<(ExternalIdentity? Identity, long IssuedAtMs)> PendingAsync()
    {
        var external = await HttpContext.AuthenticateAsync(SessionSchemes.External);
        var identity = external.Succeeded ? SsoClaims.Read(external.Principal) : null;
        return (identity, external.Properties?.IssuedUtc?.ToUnixTimeMilliseconds() ?? long.MaxValue);
    }
}
