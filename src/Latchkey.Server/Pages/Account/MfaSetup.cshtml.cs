using System.Security.Cryptography;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Forced TOTP enrolment on first sign-in. The candidate key travels in a hidden field protected (encrypted and
/// time-limited) with Data Protection, bound to the user, so nothing is stored until the first code proves it works.
/// </summary>
[EnableRateLimiting("signin")]
public sealed class MfaSetupModel(AccountService accounts, UserRepository users, WebSessions sessions, AuditLog audit, IDataProtectionProvider dataProtection, TimeProvider time) : PageModel
{
    private readonly ITimeLimitedDataProtector protector = dataProtection.CreateProtector("Latchkey.TotpEnrollment.v1").ToTimeLimitedDataProtector();

    public TotpEnrollment? Enrollment { get; private set; }

    public string? ProtectedSecret { get; private set; }

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    public string ReturnUrl { get; private set; } = "/";

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var (user, _) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        if (user.TotpSecretProtected is not null)
        {
            return Redirect("/account/mfa");
        }

        Enrollment = AccountService.BeginTotpEnrollment(user.Email);
        ProtectedSecret = protector.Protect(user.Id + ":" + Enrollment.SecretBase32, TimeSpan.FromMinutes(10));
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? protectedSecret, string? code, CancellationToken cancellationToken)
    {
        var (user, returnUrl) = await SessionClaims.GetPendingUserAsync(HttpContext, users, cancellationToken);
        if (user is null)
        {
            return Redirect("/account/login");
        }

        if (user.TotpSecretProtected is not null)
        {
            // Enrolment cannot be redone from a password-only session: that would let a password thief replace the second factor.
            return Redirect("/account/mfa");
        }

        string? secret = null;
        try
        {
            var payload = protector.Unprotect(protectedSecret ?? string.Empty);
            var parts = payload.Split(':', 2);
            secret = parts.Length == 2 && parts[0] == user.Id ? parts[1] : null;
        }
        catch (CryptographicException)
        {
        }

        if (secret is null)
        {
            return Redirect("/account/mfa-setup");
        }

        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        var codes = await accounts.CompleteTotpEnrollmentAsync(user.Id, secret, code, ip, cancellationToken);
        if (codes is null)
        {
            Enrollment = AccountService.BeginTotpEnrollment(user.Email, secret);
            ProtectedSecret = protectedSecret;
            Error = "That code did not match. Check the time on your phone and try the current code.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), SecondFactorMethods.Totp, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, cancellationToken: cancellationToken);
        RecoveryCodes = codes;
        ReturnUrl = returnUrl is not null && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        return Page();
    }
}
