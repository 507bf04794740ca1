using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

[EnableRateLimiting("signin")]
public sealed class MfaModel(AccountService accounts, PasskeyService passkeys, UserRepository users, WebSessions sessions, AuditLog audit, TimeProvider time) : PageModel
{
    public string? Error { get; private set; }

    /// <summary>The account has an authenticator app (else only recovery codes are asked for beside the passkey).</summary>
    public bool HasTotp { get; private set; }

    public bool HasPasskeys { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var (user, _) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        await DescribeAsync(user.Id, cancellationToken);
        return Page();
    }

    /// <summary>Passkey as the second factor, step one (passkeys.js): options naming this account's passkeys only.</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync(CancellationToken cancellationToken)
    {
        var (user, _) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        var ceremony = user is null ? null : await passkeys.BeginAssertionAsync(user.Id, cancellationToken);
        if (ceremony is null)
        {
            return PasskeyJson.Refusal(StatusCodes.Status404NotFound, "no_passkey", "There is no passkey to use here. Sign in again.");
        }

        PasskeyCeremonyCookie.Set(HttpContext, ceremony.Handle, PasskeyService.CeremonyLifetime);
        return PasskeyJson.Options(ceremony);
    }

    /// <summary>Step two: the assertion must come from one of the pending user's own passkeys.</summary>
    public async Task<IActionResult> OnPostPasskeyAsync([FromForm(Name = PasskeyCeremonyCookie.ResponseField)] string? credential, CancellationToken cancellationToken)
    {
        var (user, returnUrl) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        var result = await passkeys.CompleteAssertionAsync(user.Id, credential, PasskeyCeremonyCookie.Take(HttpContext), ip, cancellationToken);
        if (!result.Succeeded)
        {
            Error = result.Error!.Message;
            Response.StatusCode = result.Error.Status;
            await DescribeAsync(user.Id, cancellationToken);
            return Page();
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), SecondFactorMethods.Passkey, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, detail: new JsonObject { ["method"] = "passkey" }, cancellationToken: cancellationToken);
        return Redirect(returnUrl is not null && Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }

    private async Task DescribeAsync(string userId, CancellationToken cancellationToken)
    {
        var standing = await users.GetMfaStandingAsync(userId, cancellationToken);
        HasTotp = standing?.HasTotp ?? false;
        HasPasskeys = standing?.Passkeys > 0;
    }

    public async Task<IActionResult> OnPostAsync(string? code, CancellationToken cancellationToken)
    {
        var (user, returnUrl) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        if (await users.GetMfaStandingAsync(user.Id, cancellationToken) is not { HasMfa: true })
        {
            return Redirect("/account/mfa-setup");
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (!await accounts.VerifySecondFactorAsync(user, code, ip, cancellationToken))
        {
            Error = "That code is not valid. Codes change every 30 seconds and work once.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await DescribeAsync(user.Id, cancellationToken);
            return Page();
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), AccountService.SecondFactorMethod(code)!, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, cancellationToken: cancellationToken);
        return Redirect(returnUrl is not null && Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
