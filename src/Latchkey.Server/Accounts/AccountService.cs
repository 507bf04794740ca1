using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using QRCoder;

namespace Latchkey.Server.Accounts;

/// <summary>Accounts: creation, password check with lockout, TOTP enrolment and verification, recovery codes.</summary>
public sealed class AccountService(
    UserRepository users,
    AccountSecurityRepository security,
    PasswordHashing passwords,
    AccountSessions sessions,
    AuditLog audit,
    IDataProtectionProvider dataProtection,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    public const int RecoveryCodeCount = 10;
    private readonly IDataProtector totpProtector = dataProtection.CreateProtector("Latchkey.Totp.v1");

    private SignInSecurityOptions SignIn => options.Value.SignIn;


    /// <summary>
    /// A new account (an invitation's newcomer): with a personal workspace only when the operator asks for one
    /// (Latchkey:Workspaces:CreatePersonalWorkspace, default false), so people who join a team do not get an empty
    /// workspace crowding every CLI and Codex sign-in's workspace choice.
    /// </summary>
    public Task<CreateUserResult> CreateUserAsync(string? email, string? password, CancellationToken cancellationToken)
        => CreateUserAsync(email, password, options.Value.Workspaces.CreatePersonalWorkspace, cancellationToken);

    /// <summary>A new account, with a workspace of its own (which it owns) when <paramref name="personalWorkspace"/>.</summary>
    public async Task<CreateUserResult> CreateUserAsync(string? email, string? password, bool personalWorkspace, CancellationToken cancellationToken)
    {
        var invalid = ValidateNewAccount(email, password);
        if (invalid is not null)
        {
            return invalid;
        }

        email = email!.Trim();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = new UserRow
        {
            Id = "user_" + NewId(),
            Email = email,
            NormalizedEmail = EmailAddress.Normalize(email),
            PasswordHash = await passwords.HashAsync(null, password!, cancellationToken),
            CreatedAt = now,
        };
        var workspace = !personalWorkspace ? null : new WorkspaceRow
        {
            Id = "ws_" + NewId(),
            Name = $"{email}'s workspace",
            PlanType = "team",
            PersonalOwnerId = user.Id,
            CreatedAt = now,
        };
        if (!await users.TryCreateAsync(user, workspace, cancellationToken))
        {
            return CreateUserResult.Fail("email_taken", "An account with this email already exists.");
        }

        return new CreateUserResult(user.Id, workspace?.Id, null, null);
    }

    /// <summary>
    /// An account for a person who signed in through an upstream provider: no password (they sign in there), a personal
    /// workspace only when the operator asks for one (Latchkey:Workspaces:CreatePersonalWorkspace, as for invited
    /// people; workspace SSO domains add the membership that matters), and `email_verified_at` set only when the provider asserted the address verified (OIDC Core §5.1).
    /// Null when an account already has the address.
    /// </summary>
    public async Task<UserRow?> CreateExternalUserAsync(string email, bool emailVerified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = new UserRow
        {
            Id = "user_" + NewId(),
            Email = email.Trim(),
            NormalizedEmail = EmailAddress.Normalize(email),
            PasswordHash = string.Empty,
            CreatedAt = now,
            EmailVerifiedAt = emailVerified ? now : null,
        };
        var workspace = !options.Value.Workspaces.CreatePersonalWorkspace ? null : new WorkspaceRow
        {
            Id = "ws_" + NewId(),
            Name = $"{user.Email}'s workspace",
            PlanType = "team",
            PersonalOwnerId = user.Id,
            CreatedAt = now,
        };
        return await users.TryCreateAsync(user, workspace, cancellationToken) ? user : null;
    }

    public async Task<PasswordSignInResult> CheckPasswordAsync(string? email, string? password, string? ipAddress, CancellationToken cancellationToken)
    {
        var normalized = EmailAddress.Normalize(email ?? string.Empty);
        var throttleKey = "signin:" + SecretDigest.Compute(normalized);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = normalized.Length == 0 ? null : await users.FindByNormalizedEmailAsync(normalized, cancellationToken);

        // Always pay for one hash verification, found or not.
        // An account made through single sign-on has no password: it is checked against the dummy too, and fails.
        var verified = await passwords.VerifyAsync(user, user is { HasPassword: true } ? user.PasswordHash : null, password ?? string.Empty, cancellationToken);

        var lockedUntil = await security.GetLockedUntilAsync(throttleKey, cancellationToken);
        if (lockedUntil is not null && lockedUntil > now)
        {
            await audit.WriteAsync(AuditEventTypes.SignInLockedOut, user?.Id, ipAddress: ipAddress, cancellationToken: cancellationToken);
            return new PasswordSignInResult(SignInOutcome.LockedOut, null);
        }

        if (user is null || verified == PasswordVerificationResult.Failed)
        {
            // Counted per email whether or not it exists, so lockout reveals nothing either.
            await security.RecordFailureAsync(throttleKey, now, (long)SignIn.FailureWindow.TotalMilliseconds, SignIn.MaxFailedAttempts, (long)SignIn.LockoutDuration.TotalMilliseconds, cancellationToken);
            await audit.WriteAsync(AuditEventTypes.SignInFailed, user?.Id, ipAddress: ipAddress, detail: new JsonObject { ["reason"] = "password" }, cancellationToken: cancellationToken);
            return new PasswordSignInResult(SignInOutcome.Failed, null);
        }

        await security.ResetThrottleAsync(throttleKey, cancellationToken);
        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // Made with fewer iterations than today's (OWASP's count was raised): stored again at full strength.
            await users.SetPasswordHashAsync(user.Id, await passwords.HashAsync(user, password!, cancellationToken), cancellationToken);
        }

        if (user.DisabledAt is not null)
        {
            await audit.WriteAsync(AuditEventTypes.SignInFailed, user.Id, ipAddress: ipAddress, detail: new JsonObject { ["reason"] = "account_disabled" }, cancellationToken: cancellationToken);
            return new PasswordSignInResult(SignInOutcome.Disabled, null);
        }

        return new PasswordSignInResult(SignInOutcome.PasswordAccepted, user);
    }

    /// <summary>A new key (or, when the user mistyped the first code, the same key shown again) with its QR code.</summary>
    public static TotpEnrollment BeginTotpEnrollment(string email, string? secretBase32 = null)
    {
        var secret = secretBase32 ?? Totp.NewSecretBase32();
        var label = Uri.EscapeDataString("Latchkey:" + email);
        var uri = $"otpauth://totp/{label}?secret={secret}&issuer=Latchkey&algorithm=SHA1&digits=6&period=30";
        return new TotpEnrollment(secret, uri, QrCodeDataUri(uri));
    }

    /// <summary>A PNG QR code of the otpauth URI as a data: URI (no external image service sees the key).</summary>
    private static string QrCodeDataUri(string otpAuthUri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(otpAuthUri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(5);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }

    /// <summary>Checks the first code from the new authenticator, stores the key, and returns fresh recovery codes (shown once).</summary>
    public async Task<IReadOnlyList<string>?> CompleteTotpEnrollmentAsync(string userId, string secretBase32, string? code, string? ipAddress, CancellationToken cancellationToken)
    {
        if (!Totp.TryDecodeSecret(secretBase32, out var secret))
        {
            return null;
        }

        var step = Totp.FindMatchingStep(secret, code?.Trim(), time.GetUtcNow());
        if (step is null)
        {
            return null;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await users.SetTotpSecretAsync(userId, totpProtector.Protect(secretBase32), now, cancellationToken);
        await users.TryUseTotpStepAsync(userId, step.Value, cancellationToken);
        var codes = await RegenerateRecoveryCodesAsync(userId, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.MfaEnrolled, userId, ipAddress: ipAddress, cancellationToken: cancellationToken);
        return codes;
    }

    /// <summary>
    /// An administrator's reset of a member's second factors (lost phone): removes the authenticator key, recovery codes
    /// and passkeys, ends every session and grant of the member, and is audited with who did it. The member enrols again
    /// at their next password sign-in (ASVS 5.0 §6.4.4: resets are logged and end existing sessions).
    /// </summary>
    /// <summary>The operator's reset (`reset-mfa ADDRESS`), for people a workspace admin may not reset. Null when no account has the address.</summary>
    public async Task<bool?> ResetMfaByEmailAsync(string email, string actor, CancellationToken cancellationToken)
    {
        var user = await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(email), cancellationToken);
        return user is null ? null : await ResetMfaAsync(user.Id, actor, workspaceId: null, ipAddress: null, cancellationToken);
    }

    public async Task<bool> ResetMfaAsync(string userId, string actorUserId, string? workspaceId, string? ipAddress, CancellationToken cancellationToken)
    {
        if (!await users.ResetMfaAsync(userId, cancellationToken))
        {
            return false;
        }

        await audit.WriteAsync(AuditEventTypes.MfaReset, userId, workspaceId, ipAddress: ipAddress, detail: new JsonObject { ["by"] = actorUserId }, cancellationToken: cancellationToken);
        await sessions.EndAllAsync(userId, null, "mfa_reset", ipAddress, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> RegenerateRecoveryCodesAsync(string userId, CancellationToken cancellationToken)
    {
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToList();
        await security.ReplaceRecoveryCodesAsync(userId, codes.Select(c => SecretDigest.Compute(NormalizeRecoveryCode(c))), cancellationToken);
        return codes;
    }

    /// <summary>Which factor a code is: six digits are an authenticator code, longer ones a recovery code, anything else neither.</summary>
    public static string? SecondFactorMethod(string? code) => TrimCode(code).Length switch
    {
        Totp.Digits => SecondFactorMethods.Totp,
        > Totp.Digits => SecondFactorMethods.RecoveryCode,
        _ => null,
    };

    private static string TrimCode(string? code) => code?.Trim().Replace(" ", string.Empty, StringComparison.Ordinal) ?? string.Empty;

    /// <summary>
    /// New recovery codes after a second-factor check by the caller. Changing a factor ends the user's other sessions and
    /// every refresh-token grant (ASVS 5.0 §7.4.3); the session that asked is kept.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(string userId, string? keepSessionId, string? ipAddress, CancellationToken cancellationToken)
    {
        var codes = await RegenerateRecoveryCodesAsync(userId, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.RecoveryCodesRegenerated, userId, ipAddress: ipAddress, cancellationToken: cancellationToken);
        await sessions.EndAllAsync(userId, keepSessionId, "mfa_changed", ipAddress, cancellationToken);
        return codes;
    }

    /// <summary>Verifies a TOTP code (each time step at most once) or a single-use recovery code. Failures count towards lockout.</summary>
    public async Task<bool> VerifySecondFactorAsync(UserRow user, string? code, string? ipAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var throttleKey = "mfa:" + user.Id;
        var now = time.GetUtcNow();
        var lockedUntil = await security.GetLockedUntilAsync(throttleKey, cancellationToken);
        if (lockedUntil is not null && lockedUntil > now.ToUnixTimeMilliseconds())
        {
            return false;
        }

        var trimmed = TrimCode(code);
        var ok = false;
        if (user.TotpSecretProtected is not null && SecondFactorMethod(trimmed) == SecondFactorMethods.Totp)
        {
            var secret = OtpNet.Base32Encoding.ToBytes(totpProtector.Unprotect(user.TotpSecretProtected));
            var step = Totp.FindMatchingStep(secret, trimmed, now);
            ok = step is not null && await users.TryUseTotpStepAsync(user.Id, step.Value, cancellationToken);
        }
        else if (SecondFactorMethod(trimmed) == SecondFactorMethods.RecoveryCode)
        {
            ok = await security.TryUseRecoveryCodeAsync(user.Id, SecretDigest.Compute(NormalizeRecoveryCode(trimmed)), now.ToUnixTimeMilliseconds(), cancellationToken);
            if (ok)
            {
                await audit.WriteAsync(AuditEventTypes.RecoveryCodeUsed, user.Id, ipAddress: ipAddress, cancellationToken: cancellationToken);
            }
        }

        if (ok)
        {
            await security.ResetThrottleAsync(throttleKey, cancellationToken);
            return true;
        }

        await security.RecordFailureAsync(throttleKey, now.ToUnixTimeMilliseconds(), (long)SignIn.FailureWindow.TotalMilliseconds, SignIn.MaxFailedAttempts, (long)SignIn.LockoutDuration.TotalMilliseconds, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.MfaFailed, user.Id, ipAddress: ipAddress, cancellationToken: cancellationToken);
        return false;
    }

    /// <summary>
    /// Records that the address was verified by someone who can vouch for it (the operator, out of band), so id_tokens
    /// and userinfo say `email_verified: true` from now on (OIDC Core §5.1). Nothing else sets it: an address typed on
    /// an invitation link or the setup page proves nothing. Null when no account has the address.
    /// </summary>
    public async Task<bool?> MarkEmailVerifiedAsync(string email, string method, CancellationToken cancellationToken)
    {
        var user = await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(email), cancellationToken);
        if (user is null)
        {
            return null;
        }

        var changed = await users.MarkEmailVerifiedAsync(user.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (changed)
        {
            await audit.WriteAsync(AuditEventTypes.EmailVerified, user.Id, detail: new JsonObject { ["method"] = method }, cancellationToken: cancellationToken);
        }

        return changed;
    }

    /// <summary>Creates a single-use, expiring link that lets its holder create an owner account.</summary>
    public async Task<string> CreateSetupLinkAsync(CancellationToken cancellationToken)
    {
        var token = SecretDigest.NewOpaqueSecret();
        var now = time.GetUtcNow();
        await security.CreateSetupTokenAsync(SecretDigest.Compute(token), now.ToUnixTimeMilliseconds(), (now + options.Value.Lifetimes.SetupLink).ToUnixTimeMilliseconds(), cancellationToken);
        return $"{options.Value.ResolveIssuer()}/setup?token={token}";
    }

    public Task<bool> IsSetupTokenUsableAsync(string? token, CancellationToken cancellationToken)
        => string.IsNullOrEmpty(token) || token.Length > 100
            ? Task.FromResult(false)
            : security.IsSetupTokenUsableAsync(SecretDigest.Compute(token), time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);

    /// <summary>Consumes the setup token (exactly once, even under concurrent use) and creates the owner.</summary>
    public async Task<CreateUserResult> CompleteSetupAsync(string? token, string? email, string? password, CancellationToken cancellationToken)
    {
        if (!await IsSetupTokenUsableAsync(token, cancellationToken))
        {
            return CreateUserResult.Fail("invalid_setup_link", "This setup link is invalid, used or expired. Print a new one with the setup-link command.");
        }

        // Validate before spending the link, so a typo does not cost the operator a new link.
        var invalid = ValidateNewAccount(email, password);
        if (invalid is not null)
        {
            return invalid;
        }

        if (!await security.TryConsumeSetupTokenAsync(SecretDigest.Compute(token!), time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken))
        {
            return CreateUserResult.Fail("invalid_setup_link", "This setup link is invalid, used or expired. Print a new one with the setup-link command.");
        }

        // The first owner always gets a workspace: it is the one they invite their team into.
        var created = await CreateUserAsync(email, password, personalWorkspace: true, cancellationToken);
        if (created.Succeeded)
        {
            await audit.WriteAsync(AuditEventTypes.SetupCompleted, created.UserId, created.WorkspaceId, cancellationToken: cancellationToken);
        }

        return created;
    }

    /// <summary>
    /// Changes the password after checking the current one; null on success, else the reason. Ends every other web
    /// session and every refresh-token grant of the user (ASVS 5.0 §7.4.3), keeping <paramref name="keepSessionId"/>.
    /// </summary>
    public async Task<string?> ChangePasswordAsync(string userId, string? keepSessionId, string? currentPassword, string? newPassword, string? ipAddress, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId, cancellationToken);
        if (user is null || await passwords.VerifyAsync(user, user.HasPassword ? user.PasswordHash : null, currentPassword ?? string.Empty, cancellationToken) == PasswordVerificationResult.Failed)
        {
            return "The current password is not correct.";
        }

        if (ValidateNewAccount(user.Email, newPassword) is { } invalid)
        {
            return invalid.Error;
        }

        await users.SetPasswordHashAsync(userId, await passwords.HashAsync(user, newPassword!, cancellationToken), cancellationToken);
        await audit.WriteAsync(AuditEventTypes.PasswordChanged, userId, ipAddress: ipAddress, cancellationToken: cancellationToken);
        await sessions.EndAllAsync(userId, keepSessionId, "password_changed", ipAddress, cancellationToken);
        return null;
    }

    private CreateUserResult? ValidateNewAccount(string? email, string? password)
    {
        email = email?.Trim() ?? string.Empty;
        if (email.Length is 0 or > 254 || email.IndexOf('@', StringComparison.Ordinal) <= 0 || email.EndsWith('@') || email.Any(char.IsWhiteSpace))
        {
            return CreateUserResult.Fail("invalid_email", "Enter a valid email address.");
        }

        if (password is null || password.Length < SignIn.MinimumPasswordLength)
        {
            return CreateUserResult.Fail("weak_password", $"Use a password of at least {SignIn.MinimumPasswordLength} characters.");
        }

        if (password.Length > 1024)
        {
            return CreateUserResult.Fail("weak_password", "Use a password of at most 1024 characters.");
        }

        return null;
    }

    internal static string NormalizeRecoveryCode(string code) => code.Replace("-", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();

    private static string NewRecoveryCode()
    {
        // 16 base32 characters = 80 bits: too many to brute-force from the SHA-256 digest.
        var raw = OtpNet.Base32Encoding.ToString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant();
        return string.Join('-', raw.Chunk(4).Select(c => new string(c)));
    }

    private static string NewId() => Base62.Encode(RandomNumberGenerator.GetBytes(16), 22);
}
