using System.Security.Claims;
using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Where the upstream sign-in lands once its id_token was validated: decides (ExternalSignInService) whether it signs an
/// account in, needs the person to prove an existing account first, or is refused; and applies the MFA rule.
/// </summary>
[EnableRateLimiting("signin")]
public sealed class SsoCompleteModel(ExternalSignInService externalSignIn, UserRepository users, WebSessions sessions, AuditLog audit, TimeProvider time) : PageModel
{
    public string? Error { get; private set; }

    public string? LinkUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? returnUrl, CancellationToken cancellationToken)
    {
        var safeReturn = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        var external = await HttpContext.AuthenticateAsync(SessionSchemes.External);
        var identity = external.Succeeded ? SsoClaims.Read(external.Principal) : null;
        if (identity is null)
        {
            return Redirect("/account/login?message=sso-failed");
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        var decision = await externalSignIn.ResolveAsync(identity, ip, cancellationToken);
        switch (decision.Outcome)
        {
            case ExternalSignInOutcome.LinkRequired:
                // The external cookie stays: after the person proves the account, /account/sso/link links this identity.
                Error = decision.Message;
                LinkUrl = "/account/login?returnUrl=" + Uri.EscapeDataString("/account/sso/link?returnUrl=" + Uri.EscapeDataString(safeReturn));
                Response.StatusCode = StatusCodes.Status409Conflict;
                return Page();
            case ExternalSignInOutcome.Refused:
                await HttpContext.SignOutAsync(SessionSchemes.External);
                Error = decision.Message;
                Response.StatusCode = StatusCodes.Status403Forbidden;
                return Page();
        }

        var user = decision.User!;
        await HttpContext.SignOutAsync(SessionSchemes.External);
        var standing = await users.GetMfaStandingAsync(user.Id, cancellationToken);
        if (standing is { HasPassword: true, HasMfa: false })
        {
            // The MFA rule at sign-in (CliMfaRule): the password still opens this account, so it gets a second factor
            // now, exactly as a password sign-in would force it; the session starts only after enrolment.
            var pending = new ClaimsIdentity(
                [
                    new Claim(SessionClaims.UserId, user.Id), new Claim(SessionClaims.Email, user.Email), new Claim(SessionClaims.ReturnUrl, safeReturn),
                    new Claim(SessionClaims.FirstFactor, AuthenticationMethods.Federated),
                ],
                "fed", SessionClaims.UserId, null);
            await HttpContext.SignInAsync(SessionSchemes.MfaPending, new ClaimsPrincipal(pending));
            return Redirect("/account/mfa-setup");
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), SecondFactorMethods.Federated, cancellationToken, AuthenticationMethods.Federated);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, detail: new JsonObject { ["method"] = "sso", ["provider"] = identity.Provider }, cancellationToken: cancellationToken);
        return Redirect(safeReturn);
    }
}
