using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Passkeys (WebAuthn Level 2/3), checked by the Fido2 library: registration on the Security page, assertion as the
/// second factor after a password, and passwordless sign-in with a discoverable credential. The relying party id and
/// the one accepted origin come from the server's public issuer URL (WebAuthn §5.1.3, §7.2 steps 9 and 13).
/// Challenges are single use (deleted as they are read), bound to the browser that asked (its ceremony cookie) and to
/// the user the ceremony is for, and live <see cref="CeremonyLifetime"/>.
/// </summary>
public sealed partial class PasskeyService(
    PasskeyRepository passkeys,
    UserRepository users,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time,
    ILogger<PasskeyService> logger)
{
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);
    public const int MaxNameLength = 60;

    /// <summary>A credential larger than this is not a passkey response (attestation "none" is well under 2 KB).</summary>
    public const int MaxResponseLength = 32 * 1024;

    private const string Expired = "This passkey request has expired or was already used. Try again.";
    private const string NotVerified = "The passkey could not be verified. Try again, or use another way to sign in.";

    private readonly Lazy<Fido2> fido2 = new(() => new Fido2(Configuration(options.Value), null));

    /// <summary>The WebAuthn relying party: the issuer's host is the RP id, its origin the only origin accepted.</summary>
    public static Fido2Configuration Configuration(LatchkeyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var issuer = new Uri(options.ResolveIssuer());
        return new Fido2Configuration
        {
            RPID = issuer.Host,
            RPName = "Latchkey",
            Origins = new HashSet<string>([issuer.GetLeftPart(UriPartial.Authority)], StringComparer.Ordinal),
            Timeout = (uint)CeremonyLifetime.TotalMilliseconds,
        };
    }

    /// <summary>The WebAuthn user handle: the account's random id (no personal data, WebAuthn §14.6.1).</summary>
    public static byte[] UserHandle(string userId) => Encoding.UTF8.GetBytes(userId);

    public Task<IReadOnlyList<PasskeyRow>> ListAsync(string userId, CancellationToken cancellationToken) => passkeys.ListForUserAsync(userId, cancellationToken);

    /// <summary>Options for creating a passkey for <paramref name="user"/>; the user's existing ones are excluded (§5.4.3).</summary>
    public async Task<PasskeyCeremony> BeginRegistrationAsync(UserRow user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var existing = await passkeys.ListForUserAsync(user.Id, cancellationToken);
        var created = fido2.Value.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = UserHandle(user.Id), Name = user.Email, DisplayName = user.Email },
            ExcludeCredentials = [.. existing.Select(Descriptor)],
            // A discoverable credential, so the same passkey also signs in without a password.
            AuthenticatorSelection = new AuthenticatorSelection { ResidentKey = ResidentKeyRequirement.Required, UserVerification = UserVerificationRequirement.Preferred },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        return await StoreAsync(PasskeyPurposes.Register, user.Id, created.ToJson(), cancellationToken);
    }

    /// <summary>Verifies the new credential against the ceremony it answers and stores it under <paramref name="name"/>.</summary>
    public async Task<ServiceResult<PasskeyRow>> CompleteRegistrationAsync(
        string userId, string? name, string? response, string? handle, string? ipAddress, CancellationToken cancellationToken)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return ServiceError.Invalid("name", $"Give the passkey a name of 1 to {MaxNameLength} characters, such as the device it is on.");
        }

        var ceremony = await TakeAsync(handle, PasskeyPurposes.Register, userId, cancellationToken);
        if (ceremony is null)
        {
            return ServiceError.Invalid("credential", Expired);
        }

        var attestation = Parse<AuthenticatorAttestationRawResponse>(response);
        if (attestation is null)
        {
            return ServiceError.Invalid("credential", NotVerified);
        }

        RegisteredPublicKeyCredential credential;
        try
        {
            credential = await fido2.Value.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = attestation,
                OriginalOptions = CredentialCreateOptions.FromJson(ceremony.Options),
                // §7.1 step 22: a credential id registered to anyone is refused.
                IsCredentialIdUniqueToUserCallback = async (p, ct) => await passkeys.FindAsync(Base64Url(p.CredentialId), ct) is null,
            }, cancellationToken);
        }
        catch (Exception ex) when (IsBadResponse(ex))
        {
            LogRejected(logger, PasskeyPurposes.Register, ex);
            return ServiceError.Invalid("credential", NotVerified);
        }

        var row = new PasskeyRow
        {
            CredentialId = Base64Url(credential.Id),
            UserId = userId,
            Name = name,
            PublicKey = Base64Url(credential.PublicKey),
            UserHandle = Base64Url(credential.User.Id),
            SignCount = credential.SignCount,
            Aaguid = credential.AaGuid == Guid.Empty ? null : credential.AaGuid.ToString(),
            Transports = credential.Transports is { Length: > 0 } t ? string.Join(' ', t.Select(Transport)) : null,
            CreatedAt = Now,
        };
        if (!await passkeys.TryAddAsync(row, cancellationToken))
        {
            return ServiceError.Conflict("passkey_exists", "This passkey is registered already.");
        }

        await audit.WriteAsync(AuditEventTypes.PasskeyAdded, userId, ipAddress: ipAddress, detail: new JsonObject { ["name"] = name, ["credential_id"] = row.CredentialId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(row);
    }

    /// <summary>
    /// Options for signing in with a passkey. As a second factor, for <paramref name="userId"/>'s passkeys only (null when
    /// they have none); passwordless (<paramref name="userId"/> null), for any discoverable one, with user verification
    /// required, because the passkey is then both factors.
    /// </summary>
    public async Task<PasskeyCeremony?> BeginAssertionAsync(string? userId, CancellationToken cancellationToken)
    {
        IReadOnlyList<PasskeyRow> allowed = userId is null ? [] : await passkeys.ListForUserAsync(userId, cancellationToken);
        if (userId is not null && allowed.Count == 0)
        {
            return null;
        }

        var assertion = fido2.Value.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [.. allowed.Select(Descriptor)],
            UserVerification = userId is null ? UserVerificationRequirement.Required : UserVerificationRequirement.Preferred,
        });
        return await StoreAsync(userId is null ? PasskeyPurposes.Passwordless : PasskeyPurposes.SecondFactor, userId, assertion.ToJson(), cancellationToken);
    }

    /// <summary>
    /// Verifies an assertion (WebAuthn §7.2) for the ceremony in the browser's cookie. As a second factor the passkey must
    /// be <paramref name="expectedUserId"/>'s; passwordless, the user is whoever the verified credential belongs to.
    /// Returns that user, or the refusal; failures are audited against the account when one is known.
    /// </summary>
    public async Task<ServiceResult<UserRow>> CompleteAssertionAsync(string? expectedUserId, string? response, string? handle, string? ipAddress, CancellationToken cancellationToken)
    {
        var purpose = expectedUserId is null ? PasskeyPurposes.Passwordless : PasskeyPurposes.SecondFactor;
        var ceremony = await TakeAsync(handle, purpose, expectedUserId, cancellationToken);
        if (ceremony is null)
        {
            return ServiceError.Invalid("credential", Expired);
        }

        var assertion = Parse<AuthenticatorAssertionRawResponse>(response);
        if (assertion?.RawId is not { Length: > 0 })
        {
            return ServiceError.Invalid("credential", NotVerified);
        }

        // §7.2 steps 5-6: the credential must be registered, and to the user being signed in when that user is known.
        var stored = await passkeys.FindAsync(Base64Url(assertion.RawId), cancellationToken);
        if (stored is null || (expectedUserId is not null && stored.UserId != expectedUserId))
        {
            return await RefuseAsync(expectedUserId, "unknown_credential", ipAddress, cancellationToken);
        }

        // Passwordless: nobody was identified before the ceremony, so the response must name its user (§7.2 step 6).
        if (expectedUserId is null && assertion.Response?.UserHandle is not { Length: > 0 })
        {
            return await RefuseAsync(stored.UserId, "user_handle_missing", ipAddress, cancellationToken);
        }

        VerifyAssertionResult verified;
        try
        {
            verified = await fido2.Value.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = assertion,
                OriginalOptions = AssertionOptions.FromJson(ceremony.Options),
                StoredPublicKey = WebEncoders.Base64UrlDecode(stored.PublicKey),
                StoredSignatureCounter = (uint)stored.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(Base64Url(p.UserHandle) == stored.UserHandle && Base64Url(p.CredentialId) == stored.CredentialId),
            }, cancellationToken);
        }
        catch (Exception ex) when (IsBadResponse(ex))
        {
            LogRejected(logger, purpose, ex);
            return await RefuseAsync(stored.UserId, "passkey_not_verified", ipAddress, cancellationToken);
        }

        // §6.1.1 and §7.2 step 21: a counter that does not move forward (when either side is non-zero) means the
        // credential may have been cloned; refuse it rather than trust either copy.
        if ((verified.SignCount != 0 || stored.SignCount != 0) && verified.SignCount <= stored.SignCount)
        {
            return await RefuseAsync(stored.UserId, "passkey_counter_regressed", ipAddress, cancellationToken);
        }

        if (!await passkeys.TryRecordUseAsync(stored.CredentialId, stored.SignCount, verified.SignCount, Now, cancellationToken))
        {
            return await RefuseAsync(stored.UserId, "passkey_counter_regressed", ipAddress, cancellationToken);
        }

        var user = await users.FindByIdAsync(stored.UserId, cancellationToken);
        if (user is null || user.DisabledAt is not null)
        {
            return ServiceError.Forbidden("This account is disabled. Ask your Latchkey administrator to enable it.");
        }

        return ServiceResult.Ok(user);
    }

    /// <summary>Removes one of the user's passkeys; 404 for anyone else's or an unknown one (the two look alike).</summary>
    public async Task<ServiceResult<bool>> RemoveAsync(string userId, string? credentialId, string? ipAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(credentialId) || credentialId.Length > 1400)
        {
            return ServiceError.NotFound("Passkey");
        }

        var row = await passkeys.FindAsync(credentialId, cancellationToken);
        if (row is null || row.UserId != userId || !await passkeys.RemoveAsync(userId, credentialId, cancellationToken))
        {
            return ServiceError.NotFound("Passkey");
        }

        await audit.WriteAsync(AuditEventTypes.PasskeyRemoved, userId, ipAddress: ipAddress, detail: new JsonObject { ["name"] = row.Name, ["credential_id"] = credentialId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    private async Task<PasskeyCeremony> StoreAsync(string purpose, string? userId, string optionsJson, CancellationToken cancellationToken)
    {
        var handle = SecretDigest.NewOpaqueSecret();
        var now = time.GetUtcNow();
        await passkeys.CreateChallengeAsync(new WebAuthnChallengeRow
        {
            HandleHash = SecretDigest.Compute(handle),
            Purpose = purpose,
            UserId = userId,
            Options = optionsJson,
            CreatedAt = now.ToUnixTimeMilliseconds(),
            ExpiresAt = (now + CeremonyLifetime).ToUnixTimeMilliseconds(),
        }, cancellationToken);
        return new PasskeyCeremony(optionsJson, handle);
    }

    /// <summary>The ceremony, used up; null unless it is this browser's, for this purpose and this user, and still fresh.</summary>
    private async Task<WebAuthnChallengeRow?> TakeAsync(string? handle, string purpose, string? userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(handle) || handle.Length > 100)
        {
            return null;
        }

        var row = await passkeys.TakeChallengeAsync(SecretDigest.Compute(handle), Now, cancellationToken);
        return row is not null && row.Purpose == purpose && row.UserId == userId ? row : null;
    }

    private async Task<ServiceError> RefuseAsync(string? userId, string reason, string? ipAddress, CancellationToken cancellationToken)
    {
        if (userId is not null)
        {
            await audit.WriteAsync(AuditEventTypes.MfaFailed, userId, ipAddress: ipAddress, detail: new JsonObject { ["reason"] = reason }, cancellationToken: cancellationToken);
        }

        return ServiceError.Invalid("credential", NotVerified);
    }

    private static T? Parse<T>(string? json)
        where T : class
    {
        if (string.IsNullOrEmpty(json) || json.Length > MaxResponseLength)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(json);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>What a malformed or forged response can make the library throw: a refusal, never a 500.</summary>
    private static bool IsBadResponse(Exception ex)
        => ex is Fido2VerificationException or JsonException or FormatException or ArgumentException or InvalidOperationException
            or CryptographicException or System.Formats.Cbor.CborContentException or NotSupportedException or OverflowException or IndexOutOfRangeException;

    private static PublicKeyCredentialDescriptor Descriptor(PasskeyRow row)
        => new(PublicKeyCredentialType.PublicKey, WebEncoders.Base64UrlDecode(row.CredentialId), row.Transports is null ? null : ParseTransports(row.Transports));

    private static AuthenticatorTransport[] ParseTransports(string transports)
        => [.. transports.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => Enum.TryParse<AuthenticatorTransport>(t, ignoreCase: true, out var v) ? v : (AuthenticatorTransport?)null).OfType<AuthenticatorTransport>()];

    private static string Transport(AuthenticatorTransport t) => t.ToString().ToLowerInvariant();

    private static string Base64Url(byte[]? bytes) => bytes is null ? string.Empty : WebEncoders.Base64UrlEncode(bytes);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "A passkey {Purpose} response was rejected.")]
    private static partial void LogRejected(ILogger logger, string purpose, Exception exception);
}
