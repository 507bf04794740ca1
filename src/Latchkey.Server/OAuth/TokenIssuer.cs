using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>Creates grants and mints the token response: ES256 access token (RFC 9068), id_token (OIDC Core §2), opaque refresh token.</summary>
public sealed class TokenIssuer(
    SigningKeyService keys,
    GrantRepository grants,
    UserRepository users,
    WorkspaceRepository workspaces,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    public const string AccessTokenType = "at+jwt";
    public const string AmrClaim = "amr";
    public const string AcrClaim = "acr";

    private static JsonArray AmrArray(string? amr) => [.. AuthenticationMethods.Parse(amr).Select(v => (JsonNode)JsonValue.Create(v))];

    private LatchkeyServerOptions Options => options.Value;

    public static string NewGrantId() => "grant_" + Base62.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), 22);

    /// <summary>
    /// Starts a new grant (one sign-in) inside the caller's transaction: the grant, its first refresh token and its
    /// <c>grant.created</c> event commit together with what the grant was made from (the consumed code), or not at all.
    /// The caller commits, then answers with <see cref="BuildResponseAsync"/>.
    /// </summary>
    public async Task<IssuedGrant> CreateGrantAsync(
        WriteTransaction tx, string clientId, string userId, string workspaceId, string scope, long authTime, string? ipAddress, string grantId, string? amr, string? device)
    {
        var now = time.GetUtcNow();
        var refreshToken = SecretDigest.NewOpaqueSecret();
        var grant = new GrantRow
        {
            Id = grantId,
            UserId = userId,
            WorkspaceId = workspaceId,
            ClientId = clientId,
            Scope = scope,
            AuthTime = authTime,
            Amr = amr,
            Device = device,
            CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        await grants.CreateAsync(tx, grant, SecretDigest.Compute(refreshToken), (now + Options.Lifetimes.RefreshToken).ToUnixTimeMilliseconds(),
            audit.Row(AuditEventTypes.GrantCreated, userId, workspaceId, clientId, ipAddress, new JsonObject { ["grant_id"] = grant.Id }));
        return new IssuedGrant(grant, refreshToken);
    }

    /// <summary>Token response for an existing grant, with the refresh token the caller has just stored.</summary>
    public async Task<JsonObject> BuildResponseAsync(GrantRow grant, string refreshToken, string? nonce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var user = await users.FindByIdAsync(grant.UserId, cancellationToken) ?? throw new InvalidOperationException("Grant without user.");
        var membership = await workspaces.FindMembershipAsync(grant.UserId, grant.WorkspaceId, cancellationToken);
        return BuildResponse(grant, user.Email, user.EmailVerifiedAt is not null, membership?.PlanType, refreshToken, nonce, await keys.GetActiveKeyAsync(cancellationToken));
    }

    /// <summary>The same response from values the caller already read (the refresh grant reads them in its one query).</summary>
    public JsonObject BuildResponse(GrantRow grant, string email, bool emailVerified, string? planType, string refreshToken, string? nonce, EcSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var now = time.GetUtcNow();
        var codexAuth = CodexAuthClaim(grant, planType);
        var access = AccessTokenClaims(grant, email, codexAuth, now, now + Options.Lifetimes.AccessToken);

        var id = new JsonObject
        {
            [ClaimNames.Issuer] = Options.ResolveIssuer(),
            [ClaimNames.Subject] = grant.UserId,
            [ClaimNames.Audience] = grant.ClientId,
            [ClaimNames.IssuedAt] = now.ToUnixTimeSeconds(),
            [ClaimNames.Expires] = (now + Options.Lifetimes.IdToken).ToUnixTimeSeconds(),
            [ClaimNames.AuthTime] = grant.AuthTime / 1000,
            [ClaimNames.SessionId] = grant.Id,
            // OIDC Core §2: how the person signed in (RFC 8176 values) and what that amounts to.
            [AmrClaim] = AmrArray(grant.Amr),
            [AcrClaim] = AuthenticationMethods.Acr(grant.Amr),
            [ClaimNames.Email] = email,
            [ClaimNames.EmailVerified] = emailVerified, // OIDC Core §5.1: never claimed for an address nobody verified
            [ClaimNames.CodexAuth] = codexAuth.DeepClone(),
        };
        if (nonce is not null)
        {
            id[ClaimNames.Nonce] = nonce;
        }

        return new JsonObject
        {
            ["access_token"] = JwtCodec.Sign(access, key, AccessTokenType),
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)Options.Lifetimes.AccessToken.TotalSeconds,
            ["refresh_token"] = refreshToken,
            ["id_token"] = JwtCodec.Sign(id, key),
            ["scope"] = grant.Scope,
        };
    }

    /// <summary>
    /// RFC 8693 §2.2.1 response for an access-token exchange: a short-lived access JWT for the token's user and
    /// workspace, never outliving the access token, and no refresh token (the access token itself is the long-lived
    /// credential). `sid` names the access token's grant, so revoking the token stops the JWT at once.
    /// </summary>
    public async Task<JsonObject> ExchangeAccessTokenAsync(GrantRow tokenGrant, long? accessTokenExpiresAt, string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenGrant);
        var user = await users.FindByIdAsync(tokenGrant.UserId, cancellationToken) ?? throw new InvalidOperationException("Grant without user.");
        var key = await keys.GetActiveKeyAsync(cancellationToken);
        var now = time.GetUtcNow();
        var expires = now + Options.Lifetimes.AccessToken;
        if (accessTokenExpiresAt is { } cap && DateTimeOffset.FromUnixTimeMilliseconds(cap) < expires)
        {
            expires = DateTimeOffset.FromUnixTimeMilliseconds(cap);
        }

        var membership = await workspaces.FindMembershipAsync(tokenGrant.UserId, tokenGrant.WorkspaceId, cancellationToken);
        var claims = AccessTokenClaims(tokenGrant with { ClientId = clientId }, user.Email, CodexAuthClaim(tokenGrant, membership?.PlanType), now, expires);
        return new JsonObject
        {
            ["access_token"] = JwtCodec.Sign(claims, key, AccessTokenType),
            ["issued_token_type"] = TokenTypes.AccessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = Math.Max(0, (long)(expires - now).TotalSeconds),
            ["scope"] = tokenGrant.Scope,
        };
    }

    private static JsonObject CodexAuthClaim(GrantRow grant, string? planType) => new()
    {
        [ClaimNames.CodexAccountId] = grant.WorkspaceId,
        [ClaimNames.CodexUserId] = grant.UserId,
        [ClaimNames.CodexPlanType] = planType ?? "team",
        [ClaimNames.CodexIsFedramp] = false,
    };

    private JsonObject AccessTokenClaims(GrantRow grant, string email, JsonObject codexAuth, DateTimeOffset now, DateTimeOffset expires)
    {
        var issuer = Options.ResolveIssuer();
        return new JsonObject
        {
            [ClaimNames.Issuer] = issuer,
            [ClaimNames.Subject] = grant.UserId,
            [ClaimNames.Audience] = issuer,
            [ClaimNames.ClientId] = grant.ClientId,
            [ClaimNames.IssuedAt] = now.ToUnixTimeSeconds(),
            [ClaimNames.NotBefore] = now.ToUnixTimeSeconds(),
            [ClaimNames.Expires] = expires.ToUnixTimeSeconds(),
            [ClaimNames.JwtId] = SecretDigest.NewOpaqueSecret()[..22],
            [ClaimNames.SessionId] = grant.Id,
            [ClaimNames.Scope] = grant.Scope,
            [ClaimNames.AuthTime] = grant.AuthTime / 1000,
            [AmrClaim] = AmrArray(grant.Amr),
            [AcrClaim] = AuthenticationMethods.Acr(grant.Amr),
            [ClaimNames.Email] = email,
            [ClaimNames.CodexAuth] = codexAuth.DeepClone(),
        };
    }
}
