using System.Security.Claims;
using Latchkey.Server.Accounts;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

[EnableRateLimiting("signin")]
public sealed class LoginModel(AccountService accounts) : PageModel
{
    public string? ReturnUrl { get; private set; }

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public string? Message { get; private set; }

    public void OnGet(string? returnUrl, string? message)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        Message = message switch
        {
            "setup" => "Your account is ready. Sign in to set up two-factor authentication.",
            "signed-out" => "You are signed out.",
            "signed-out-everywhere" => "You are signed out everywhere: every browser session and every CLI and app sign-in has ended.",
            _ => null,
        };
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? password, string? returnUrl, CancellationToken cancellationToken)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        Email = email;
        var result = await accounts.CheckPasswordAsync(email, password, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        switch (result.Outcome)
        {
            case SignInOutcome.LockedOut:
                Error = "Too many failed attempts. Wait a few minutes and try again.";
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return Page();
            case SignInOutcome.Disabled:
                Error = "This account is disabled. Ask your Latchkey administrator to enable it.";
                Response.StatusCode = StatusCodes.Status403Forbidden;
                return Page();
            case SignInOutcome.Failed:
                // Same words whether the email exists or not.
                Error = "The email or password is incorrect.";
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
        }

        var user = result.User!;
        var identity = new ClaimsIdentity(
            [new Claim(SessionClaims.UserId, user.Id), new Claim(SessionClaims.Email, user.Email), new Claim(SessionClaims.ReturnUrl, ReturnUrl)],
            "pwd", SessionClaims.UserId, null);
        await HttpContext.SignInAsync(SessionSchemes.MfaPending, new ClaimsPrincipal(identity));
        return Redirect(user.TotpSecretProtected is null ? "/account/mfa-setup" : "/account/mfa");
    }

    private string SafeReturnUrl(string? returnUrl) => !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
