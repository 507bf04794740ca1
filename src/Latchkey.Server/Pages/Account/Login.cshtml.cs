using System.Security.Claims;
using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Account;

[EnableRateLimiting("signin")]
public sealed class LoginModel(
    AccountService accounts,
    PasskeyService passkeys,
    UserRepository users,
    WebSessions sessions,
    SsoProviderDirectory providers,
    SsoDomainService ssoDomains,
    AuditLog audit,
    TimeProvider time) : PageModel
{
    /// <summary>The upstream providers offered as "Continue with …" buttons.</summary>
    public IReadOnlyList<SsoProviderOptions> Providers => providers.All;

    /// <summary>Set when the address's domain requires single sign-on: the page offers only that provider.</summary>
    public SsoProviderOptions? RequiredProvider { get; private set; }

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
            "sso-failed" => "Single sign-on did not complete. Try again, or ask your administrator if it keeps failing.",
            "sso-cancelled" => "Single sign-on was cancelled at your identity provider.",
            "sso-unavailable" => "The identity provider cannot be reached right now. Try again in a few minutes.",
            _ => null,
        };
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? password, string? returnUrl, CancellationToken cancellationToken)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        Email = email;
        // A domain that requires single sign-on refuses passwords outright (before any password check), so a password
        // set on such an account, or guessed, opens nothing; the person is sent to their provider instead.
        if (await ssoDomains.RequiredProviderAsync(email, cancellationToken) is { } required)
        {
            RequiredProvider = required;
            Error = $"Your organisation requires single sign-on for {EmailAddress.Domain(email)} addresses. Continue with {required.ResolveDisplayName()}; your password is not used here.";
            await audit.WriteAsync(AuditEventTypes.SsoPasswordRefused, ipAddress: HttpContext.Connection.RemoteIpAddress?.ToString(),
                detail: new JsonObject { ["domain"] = EmailAddress.Domain(email) }, cancellationToken: cancellationToken);
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }

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
        var standing = await users.GetMfaStandingAsync(user.Id, cancellationToken);
        return Redirect(standing is { HasMfa: true } ? "/account/mfa" : "/account/mfa-setup");
    }

    /// <summary>Passwordless sign-in, step one (passkeys.js): options for any discoverable passkey of this site.</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync(CancellationToken cancellationToken)
    {
        var ceremony = (await passkeys.BeginAssertionAsync(null, cancellationToken))!;
        PasskeyCeremonyCookie.Set(HttpContext, ceremony.Handle, PasskeyService.CeremonyLifetime);
        return PasskeyJson.Options(ceremony);
    }

    /// <summary>
    /// Passwordless sign-in, step two: a verified assertion with user verification is both factors (something the person
    /// has, unlocked by something they know or are), so the session starts with amr `hwk mfa` (RFC 8176 §2).
    /// </summary>
    public async Task<IActionResult> OnPostPasskeyAsync([FromForm(Name = PasskeyCeremonyCookie.ResponseField)] string? credential, string? returnUrl, CancellationToken cancellationToken)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        var result = await passkeys.CompleteAssertionAsync(null, credential, PasskeyCeremonyCookie.Take(HttpContext), ip, cancellationToken);
        if (!result.Succeeded)
        {
            Error = result.Error!.Message;
            Response.StatusCode = result.Error.Status;
            return Page();
        }

        var user = result.Value!;
        // A domain that requires single sign-on keeps every sign-in at its provider, so leaving the organisation there
        // ends access here too; a passkey made earlier does not go around it.
        if (await ssoDomains.RequiredProviderAsync(user.Email, cancellationToken) is { } required)
        {
            RequiredProvider = required;
            Email = user.Email;
            Error = $"Your organisation requires single sign-on for {EmailAddress.Domain(user.Email)} addresses. Continue with {required.ResolveDisplayName()}.";
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }

        await sessions.SignInAsync(HttpContext, user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), SecondFactorMethods.Passkey, cancellationToken, AuthenticationMethods.HardwareKey);
        await audit.WriteAsync(AuditEventTypes.SignInSucceeded, user.Id, ipAddress: ip, detail: new JsonObject { ["method"] = "passkey" }, cancellationToken: cancellationToken);
        return Redirect(ReturnUrl);
    }

    /// <summary>Home-realm discovery: the address's domain names the provider to send the person to.</summary>
    public async Task<IActionResult> OnPostSsoAsync(string? email, string? returnUrl, CancellationToken cancellationToken)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        Email = email;
        if (await ssoDomains.FindVerifiedAsync(email, cancellationToken) is { } domain && providers.Find(domain.Provider) is { } provider)
        {
            return Redirect(SsoStartUrl(provider, email));
        }

        Error = "Single sign-on is not set up for that address. Sign in with your password, or choose your provider below.";
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    public string SsoStartUrl(SsoProviderOptions provider, string? loginHint = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var url = $"/account/sso/start/{provider.Name}?returnUrl={Uri.EscapeDataString(ReturnUrl ?? "/")}";
        return string.IsNullOrWhiteSpace(loginHint) || loginHint.Length > 254 ? url : url + "&login_hint=" + Uri.EscapeDataString(loginHint.Trim());
    }

    private string SafeReturnUrl(string? returnUrl) => !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
