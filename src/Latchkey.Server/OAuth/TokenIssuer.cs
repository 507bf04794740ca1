using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
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

    private LatchkeyServerOptions Options => options.Value;

    /// <summary>Starts a new grant (one sign-in) and answers with its first tokens.</summary>
    public async Task<(JsonObject Response, GrantRow Grant)> CreateGrantAsync(
        string clientId, string userId, string workspaceId, string scope, long authTime, string? nonce, string? ipAddress, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var refreshToken = SecretDigest.NewOpaqueSecret();
        var grant = new GrantRow
        {
            Id = "grant_" + Base62.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), 22),
            UserId = userId,
            WorkspaceId = workspaceId,
            ClientId = clientId,
            Scope = scope,
            AuthTime = authTime,
            CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        await grants.CreateAsync(grant, SecretDigest.Compute(refreshToken), (now + Options.Lifetimes.RefreshToken).ToUnixTimeMilliseconds(), cancellationToken);
        await audit.WriteAsync(AuditEventTypes.GrantCreated, userId, workspaceId, clientId, ipAddress, new JsonObject { ["grant_id"] = grant.Id }, cancellationToken);
        return (await BuildResponseAsync(grant, refreshToken, nonce, cancellationToken), grant);
    }

    /// <summary>Token response for an existing grant, with the refresh token the caller has just stored.</summary>
    public async Task<JsonObject> BuildResponseAsync(GrantRow grant, string refreshToken, string? nonce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var user = await users.FindByIdAsync(grant.UserId, cancellationToken) ?? throw new InvalidOperationException("Grant without user.");
        var membership = await workspaces.FindMembershipAsync(grant.UserId, grant.WorkspaceId, cancellationToken);
        var key = await keys.GetActiveKeyAsync(cancellationToken);
        var now = time.GetUtcNow();
        var issuer = Options.ResolveIssuer();
        var codexAuth = new JsonObject
        {
            [ClaimNames.CodexAccountId] = grant.WorkspaceId,
            [ClaimNames.CodexUserId] = grant.UserId,
            [ClaimNames.CodexPlanType] = membership?.PlanType ?? "team",
            [ClaimNames.CodexIsFedramp] = false,
        };

        var accessExpires = now + Options.Lifetimes.AccessToken;
        var access = new JsonObject
        {
            [ClaimNames.Issuer] = issuer,
            [ClaimNames.Subject] = grant.UserId,
            [ClaimNames.Audience] = issuer,
            [ClaimNames.ClientId] = grant.ClientId,
            [ClaimNames.IssuedAt] = now.ToUnixTimeSeconds(),
            [ClaimNames.NotBefore] = now.ToUnixTimeSeconds(),
            [ClaimNames.Expires] = accessExpires.ToUnixTimeSeconds(),
            [ClaimNames.JwtId] = SecretDigest.NewOpaqueSecret()[..22],
            [ClaimNames.SessionId] = grant.Id,
            [ClaimNames.Scope] = grant.Scope,
            [ClaimNames.AuthTime] = grant.AuthTime / 1000,
            [ClaimNames.Email] = user.Email,
            [ClaimNames.CodexAuth] = codexAuth.DeepClone(),
        };

        var id = new JsonObject
        {
            [ClaimNames.Issuer] = issuer,
            [ClaimNames.Subject] = grant.UserId,
            [ClaimNames.Audience] = grant.ClientId,
            [ClaimNames.IssuedAt] = now.ToUnixTimeSeconds(),
            [ClaimNames.Expires] = (now + Options.Lifetimes.IdToken).ToUnixTimeSeconds(),
            [ClaimNames.AuthTime] = grant.AuthTime / 1000,
            [ClaimNames.SessionId] = grant.Id,
            [ClaimNames.Email] = user.Email,
            [ClaimNames.EmailVerified] = true,
            [ClaimNames.CodexAuth] = codexAuth,
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
}
