using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// The user's own security settings: password, MFA and recovery codes, device sign-in, active sign-ins. The second
/// factor check here shares the sign-in lockout (AccountService), so it cannot be used to guess codes faster.
/// </summary>
public sealed class SecurityModel(
    AccountService accounts,
    AccountSessions accountSessions,
    WebSessions webSessions,
    UserRepository users,
    GrantRepository grants,
    WebSessionRepository sessionRecords,
    WorkspaceRepository workspaces,
    ClientRegistry clients,
    PasskeyService passkeyService,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time) : PageModel
{
    /// <summary>
    /// Adding a passkey needs a recent sign-in: a session cookie taken from an unattended browser must not be turned into
    /// a lasting way in (ASVS 5.0 §6.4.1, changing factors requires recent authentication).
    /// </summary>
    public static readonly TimeSpan RecentSignIn = TimeSpan.FromMinutes(15);

    private IReadOnlyList<MembershipRow> memberships = [];

    public long? MfaEnrolledAt { get; private set; }

    public bool DeviceSignInDisabled { get; private set; }

    /// <summary>Browser sessions, most recently seen first.</summary>
    public IReadOnlyList<WebSessionRow> WebSessions { get; private set; } = [];

    /// <summary>CLI and app sign-ins (refresh-token grants), newest first.</summary>
    public IReadOnlyList<SignInGrantRow> SignIns { get; private set; } = [];

    public string? CurrentSessionId => SessionClaims.GetSessionId(User);

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    /// <summary>The user's passkeys, oldest first.</summary>
    public IReadOnlyList<PasskeyRow> Passkeys { get; private set; } = [];

    public string? Error { get; private set; }

    /// <summary>The question asked before signing a session or an app out (same pattern as the console's revokes).</summary>
    public Confirmation? Confirm { get; private set; }

    public DateTimeOffset Now { get; } = time.GetUtcNow();

    public TokenLifetimeOptions Lifetimes => options.Value.Lifetimes;

    [TempData]
    public string? Notice { get; set; }

    private string UserId => SessionClaims.GetUserId(User)!;

    private string? Ip => HttpContext.Connection.RemoteIpAddress?.ToString();

    public string ClientName(string clientId) => clients.Find(clientId)?.DisplayName ?? clientId;

    /// <summary>"Codex CLI on Linux"; the OAuth client's name only where the program does not already say it.</summary>
    public (string Program, string? Client) Describe(SignInGrantRow grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var client = ClientName(grant.ClientId);
        return grant.Device is null ? (client, null)
            : grant.Device.StartsWith(client, StringComparison.OrdinalIgnoreCase) ? (grant.Device, null) : (grant.Device, client);
    }

    public string WorkspaceName(string workspaceId) => memberships.FirstOrDefault(m => m.WorkspaceId == workspaceId)?.WorkspaceName ?? workspaceId;

    /// <summary>The page; with `confirm=signout&amp;grantId=…` or `confirm=endsession&amp;sessionId=…` it first asks.</summary>
    public async Task OnGetAsync(string? confirm, string? grantId, string? sessionId, string? credentialId, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (confirm == "signout" && SignIns.FirstOrDefault(g => g.Id == grantId) is { } grant)
        {
            var (program, client) = Describe(grant);
            Confirm = new Confirmation("revoke", $"Sign out {program} ({(client is null ? string.Empty : client + ", ")}{WorkspaceName(grant.WorkspaceId)}, signed in {HumanTime.Relative(DateTimeOffset.FromUnixTimeMilliseconds(grant.CreatedAt), Now)}{(grant.IpAddress is null ? string.Empty : " from " + grant.IpAddress)})?",
                "It will have to sign in again; its tokens stop working at once.", "Sign out this application", new Dictionary<string, string> { ["grantId"] = grant.Id });
        }
        else if (confirm == "endsession" && WebSessions.FirstOrDefault(s => s.Id == sessionId) is { } session)
        {
            Confirm = session.Id == CurrentSessionId
                ? new Confirmation("endsession", "Sign out of this browser?", "You will need your password and second factor to sign in again.", "Sign out", new Dictionary<string, string> { ["sessionId"] = session.Id })
                : new Confirmation("endsession", $"Sign out {session.Device}{(session.IpAddress is null ? string.Empty : " at " + session.IpAddress)}, last seen {HumanTime.Relative(DateTimeOffset.FromUnixTimeMilliseconds(session.LastSeenAt), Now)}?",
                    "That browser is signed out at once, even if someone copied its cookie.", "Sign out that session", new Dictionary<string, string> { ["sessionId"] = session.Id });
        }
        else if (confirm == "removepasskey" && Passkeys.FirstOrDefault(p => p.CredentialId == credentialId) is { } passkey)
        {
            Confirm = new Confirmation("removepasskey", $"Remove the passkey “{passkey.Name}”?",
                "It will no longer sign you in. Your device may still list it; delete it there too.", "Remove passkey", new Dictionary<string, string> { ["credentialId"] = passkey.CredentialId });
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(UserId, cancellationToken);
        MfaEnrolledAt = user?.TotpEnrolledAt;
        DeviceSignInDisabled = user?.DeviceSignInDisabled ?? false;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        WebSessions = await sessionRecords.ListActiveForUserAsync(UserId, now, cancellationToken);
        SignIns = await grants.ListActiveSignInsForUserAsync(UserId, now, cancellationToken);
        memberships = await workspaces.ListForUserAsync(UserId, cancellationToken);
        Passkeys = await passkeyService.ListAsync(UserId, cancellationToken);
    }

    /// <summary>Step one of adding a passkey (called by passkeys.js): the creation options, and the ceremony cookie.</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync(CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(UserId, cancellationToken);
        if (user is null)
        {
            return NotFound();
        }

        if (time.GetUtcNow().ToUnixTimeMilliseconds() - SessionClaims.GetAuthTime(User) > (long)RecentSignIn.TotalMilliseconds)
        {
            return PasskeyJson.Refusal(StatusCodes.Status403Forbidden, "recent_sign_in_required", "To add a passkey, sign out and sign in again first (you signed in more than 15 minutes ago).");
        }

        var ceremony = await passkeyService.BeginRegistrationAsync(user, cancellationToken);
        PasskeyCeremonyCookie.Set(HttpContext, ceremony.Handle, PasskeyService.CeremonyLifetime);
        return PasskeyJson.Options(ceremony);
    }

    /// <summary>Step two: the browser's new credential, verified and stored under the name the person gave it.</summary>
    public async Task<IActionResult> OnPostAddPasskeyAsync(string? name, [FromForm(Name = PasskeyCeremonyCookie.ResponseField)] string? credential, CancellationToken cancellationToken)
    {
        var added = await passkeyService.CompleteRegistrationAsync(UserId, name, credential, PasskeyCeremonyCookie.Take(HttpContext), Ip, cancellationToken);
        return added.Succeeded
            ? Done($"Passkey “{added.Value!.Name}” added. You can use it to sign in, with or without your password.")
            : await FailAsync(added.Error!.Message, cancellationToken);
    }

    /// <summary>Removes one of the user's own passkeys (the page asks first); anyone else's is "not found".</summary>
    public async Task<IActionResult> OnPostRemovePasskeyAsync(string? credentialId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "removepasskey", ("credentialId", credentialId)) is { } ask)
        {
            return ask;
        }

        var removed = await passkeyService.RemoveAsync(UserId, credentialId, Ip, cancellationToken);
        if (!removed.Succeeded)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return await FailAsync("That passkey was not found.", cancellationToken, keepStatus: true);
        }

        return Done("Passkey removed. It can no longer be used to sign in.");
    }

    public async Task<IActionResult> OnPostPasswordAsync([FromForm(Name = "current_password")] string? current, [FromForm(Name = "new_password")] string? next, CancellationToken cancellationToken)
    {
        var error = await accounts.ChangePasswordAsync(UserId, CurrentSessionId, current, next, Ip, cancellationToken);
        return error is null ? Done("Password changed. Your other sessions and every CLI and app sign-in were signed out.") : await FailAsync(error, cancellationToken);
    }

    /// <summary>
    /// New recovery codes need a current authenticator code (not a recovery code): a borrowed session alone must not
    /// mint a second factor.
    /// </summary>
    public async Task<IActionResult> OnPostRecoveryAsync(string? code, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(UserId, cancellationToken);
        if (user is null || code is null || code.Trim().Length > 8 || !await accounts.VerifySecondFactorAsync(user, code, Ip, cancellationToken))
        {
            return await FailAsync("That code is not correct. Enter the current 6-digit code from your authenticator app.", cancellationToken);
        }

        RecoveryCodes = await accounts.ReplaceRecoveryCodesAsync(UserId, CurrentSessionId, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDeviceAsync(string? enabled, CancellationToken cancellationToken)
    {
        if (enabled is not ("true" or "false"))
        {
            return await FailAsync("Choose on or off.", cancellationToken);
        }

        await users.SetDeviceSignInDisabledAsync(UserId, enabled == "false", cancellationToken);
        await audit.WriteAsync(AuditEventTypes.DeviceSignInSettingChanged, UserId, ipAddress: Ip, detail: new JsonObject { ["enabled"] = enabled == "true" }, cancellationToken: cancellationToken);
        return Done(enabled == "true" ? "Device sign-in is on for your account." : "Device sign-in is off for your account.");
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? grantId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "signout", ("grantId", grantId)) is { } ask)
        {
            return ask;
        }

        var grant = string.IsNullOrEmpty(grantId) ? null : await grants.FindAsync(grantId, cancellationToken);
        if (grant is null || grant.UserId != UserId || grant.ClientId == AccessTokenRepository.GrantClientId)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return await FailAsync("That sign-in was not found.", cancellationToken, keepStatus: true);
        }

        if (await grants.RevokeAsync(grant.Id, "user_signed_out", time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken))
        {
            await audit.WriteAsync(AuditEventTypes.GrantRevoked, UserId, grant.WorkspaceId, grant.ClientId, Ip, new JsonObject { ["grant_id"] = grant.Id, ["reason"] = "user_signed_out" }, cancellationToken);
        }

        return Done("Signed out of that application.");
    }

    /// <summary>Ends one browser session of the user's (ending the current one is signing out).</summary>
    public async Task<IActionResult> OnPostEndSessionAsync(string? sessionId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "endsession", ("sessionId", sessionId)) is { } ask)
        {
            return ask;
        }

        if (!string.IsNullOrEmpty(sessionId) && sessionId == CurrentSessionId)
        {
            await webSessions.SignOutAsync(HttpContext, cancellationToken);
            return Redirect("/account/login?message=signed-out");
        }

        if (string.IsNullOrEmpty(sessionId) || sessionId.Length > 100 || !await accountSessions.EndWebSessionAsync(UserId, sessionId, Ip, cancellationToken))
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return await FailAsync("That session was not found.", cancellationToken, keepStatus: true);
        }

        return Done("That browser session was signed out.");
    }

    /// <summary>
    /// Ends every browser session, this one included, and every CLI and app sign-in. The current password is asked
    /// again first (ASVS 5.0 §7.5.2), through the sign-in check and its lockout, so a borrowed session cannot lock
    /// the owner out of every device.
    /// </summary>
    public async Task<IActionResult> OnPostEverywhereAsync(string? password, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(UserId, cancellationToken);
        var check = user is null ? null : await accounts.CheckPasswordAsync(user.Email, password, Ip, cancellationToken);
        if (check?.Outcome != SignInOutcome.PasswordAccepted || check.User?.Id != UserId)
        {
            return await FailAsync(check?.Outcome == SignInOutcome.LockedOut
                ? "Too many failed attempts. Wait a few minutes and try again."
                : "The password is not correct. Nothing was signed out.", cancellationToken);
        }

        await accountSessions.EndAllAsync(UserId, keepSessionId: null, "signed_out_everywhere", Ip, cancellationToken);
        await webSessions.SignOutAsync(HttpContext, cancellationToken);
        return Redirect("/account/login?message=signed-out-everywhere");
    }

    private RedirectResult Done(string notice)
    {
        Notice = notice;
        return Redirect("/account/security");
    }

    private async Task<PageResult> FailAsync(string message, CancellationToken cancellationToken, bool keepStatus = false)
    {
        Error = message;
        if (!keepStatus)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private RedirectResult? Unconfirmed(string? confirm, string ask, params (string Name, string? Value)[] fields)
        => Confirmation.AskFirst(confirm, Request.Path, ask, fields) is { } url ? Redirect(url) : null;
}
