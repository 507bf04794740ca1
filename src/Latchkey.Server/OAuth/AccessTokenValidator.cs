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
/// issuer, audience, expiry, `typ` at+jwt (so an id_token is never accepted as an access token, RFC 9068 §4),
/// and — unlike a bare JWT check — that the grant named in `sid` has not been revoked.
/// </summary>
public sealed class AccessTokenValidator(SigningKeyService keys, GrantRepository grants, IOptions<LatchkeyServerOptions> options, TimeProvider time)
{
    public async Task<ValidatedAccessToken?> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        var (claims, grant) = await ValidateSignatureAndGrantAsync(token, cancellationToken);
        if (claims is null || grant is null || grant.RevokedAt is not null)
        {
            return null;
        }

        return new ValidatedAccessToken(claims, grant);
    }

    /// <summary>Signature and claims only; the grant is returned whatever its state (revocation needs that).</summary>
    public async Task<(JsonObject? Claims, GrantRow? Grant)> ValidateSignatureAndGrantAsync(string? token, CancellationToken cancellationToken)
    {
        if (!JwtCodec.TryDecodeUnverified(token, out var header, out _) || header.KeyId is null
            || !string.Equals(header.Type, TokenIssuer.AccessTokenType, StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        var key = await keys.FindKeyAsync(header.KeyId, cancellationToken);
        var issuer = options.Value.ResolveIssuer();
        var result = JwtCodec.Validate(token, new JwtValidationParameters
        {
            ResolveKey = kid => kid == key?.KeyId ? key : null,
            Now = time.GetUtcNow(),
            Issuer = issuer,
            Audience = issuer,
        });
        if (!result.IsValid)
        {
            return (null, null);
        }

        var sid = JwtCodec.GetString(result.Payload, ClaimNames.SessionId);
        var grant = sid is null ? null : await grants.FindAsync(sid, cancellationToken);
        return (result.Payload, grant);
    }
}
