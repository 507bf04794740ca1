using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>
/// Validates Latchkey access tokens for every endpoint that accepts them: ES256 signature by a published key,
/// issuer, audience, expiry, `typ` at+jwt (so an id_token is never accepted as an access token, RFC 9068 §4).
/// The grant named in `sid`, and the membership behind it, are checked by <see cref="CallerResolver"/>.
/// </summary>
public sealed class AccessTokenValidator(
    SigningKeyService keys, GrantRepository grants, VerifiedSignatureCache verified, IOptions<LatchkeyServerOptions> options, TimeProvider time)
{
    /// <summary>Signature and claims, and the grant whatever its state (revocation needs that).</summary>
    public async Task<(JsonObject? Claims, GrantRow? Grant)> ValidateSignatureAndGrantAsync(string? token, CancellationToken cancellationToken)
    {
        var claims = await ValidateSignatureAsync(token, cancellationToken);
        var sid = claims is null ? null : JwtCodec.GetString(claims, ClaimNames.SessionId);
        return (claims, sid is null ? null : await grants.FindAsync(sid, cancellationToken));
    }

    /// <summary>
    /// The verified claims, or null. No database read: signing keys are cached, and so are the tokens already verified
    /// (<see cref="VerifiedSignatureCache"/>). The token is decoded once. The grant is the caller's to check.
    /// </summary>
    public async Task<JsonObject?> ValidateSignatureAsync(string? token, CancellationToken cancellationToken)
    {
        if (!JwtCodec.TryDecodeUnverified(token, out var header, out var payload) || header.KeyId is null
            || !string.Equals(header.Type, TokenIssuer.AccessTokenType, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = await keys.FindKeyAsync(header.KeyId, cancellationToken);
        var issuer = options.Value.ResolveIssuer();
        var result = JwtCodec.Validate(token!, header, payload, new JwtValidationParameters
        {
            ResolveKey = kid => kid == key?.KeyId ? key : null,
            Now = time.GetUtcNow(),
            Issuer = issuer,
            Audience = issuer,
            VerifiedSignatures = verified,
        });
        return result.IsValid ? result.Payload : null;
    }
}
