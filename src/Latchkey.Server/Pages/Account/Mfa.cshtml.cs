using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

[EnableRateLimiting("signin")]
public sealed class MfaModel(AccountService accounts, UserRepository users, AuditLog audit, TimeProvider time) : PageModel
{
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var pending = await HttpContext.AuthenticateAsync(ServerServiceCollectionExtensions.MfaPendingScheme);
        return pending.Succeeded ? Page() : Redirect("/account/login");
    }

    public async Task<IActionResult> OnPostAsync(string? code, CancellationToken cancellationToken)
    {
        var pending = await HttpContext.AuthenticateAsync(ServerServiceCollectionExtensions.MfaPendingScheme);
        var userId = pending.Succeeded ? SessionClaims.GetUserId(pending.Principal!) : null;
        var user = userId is null ? null : await users.FindByIdAsync(userId, cancellationToken);
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

        await SessionClaims.SignInAsync(HttpContext, user.Id, user.Email, time.GetUtcNow().ToUnixTimeMilliseconds());
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, cancellationToken: cancellationToken);
        var returnUrl = pending.Principal!.FindFirst(SessionClaims.ReturnUrl)?.Value;
        return Redirect(returnUrl is not null && Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
