using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

[EnableRateLimiting("signin")]
public sealed class MfaModel(AccountService accounts, UserRepository users, WebSessions sessions, AuditLog audit, TimeProvider time) : PageModel
{
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
        => (await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken)).User is null ? Redirect("/account/login") : Page();

    public async Task<IActionResult> OnPostAsync(string? code, CancellationToken cancellationToken)
    {
        var (user, returnUrl) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        if (user.TotpSecretProtected is null)
        {
            return Redirect("/account/mfa-setup");
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (!await accounts.VerifySecondFactorAsync(user, code, ip, cancellationToken))
        {
            Error = "That code is not valid. Codes change every 30 seconds and work once.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), AccountService.SecondFactorMethod(code)!, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, cancellationToken: cancellationToken);
        return Redirect(returnUrl is not null && Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
