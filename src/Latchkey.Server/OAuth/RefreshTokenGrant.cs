using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Workspaces;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2). Accepts the
/// Codex JSON form; its `refresh_reason` only labels the request and changes nothing.
/// </summary>
public sealed class RefreshTokenGrant(
    GrantRepository grants,
    WorkspaceRepository workspaces,
    TokenIssuer issuer,
    LocalAccessGate localAccess,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    public async Task<(JsonObject? Response, OAuthError? Error)> HandleAsync(RegisteredClient client, OAuthParameters p, string? ip, CancellationToken cancellationToken)
    {
        var presented = p["refresh_token"];
        if (presented is null)
        {
            return (null, OAuthError.InvalidRequest("refresh_token is required."));
        }

        if (p["scope"] is { } scope && Scopes.Normalize(scope) is null)
        {
            return (null, new OAuthError(OAuthErrors.InvalidScope, "Unsupported scope."));
        }

        var presentedHash = SecretDigest.Compute(presented);
        var owner = await grants.FindByRefreshTokenAsync(presentedHash, cancellationToken);
        if (owner is null)
        {
            return (null, OAuthError.InvalidGrant("The refresh token is invalid.", OAuthErrors.RefreshTokenInvalidated));
        }

        // RFC 6749 §6 / RFC 9700 §4.14.2: refresh tokens are bound to the client they were issued to.
        if (owner.ClientId != client.ClientId)
        {
            return (null, OAuthError.InvalidGrant("The refresh token was issued to another client."));
        }

        // Checked before rotation, so a refused client keeps a refresh token that works again once policy allows.
        if (client.IsLocal && owner.RevokedAt is null
            && await localAccess.CheckAsync(owner.UserId, owner.WorkspaceId, client.ClientId, ip, "refresh", cancellationToken) is { Code: "local_access_disabled" } denied)
        {
            return (null, OAuthError.PolicyDenied(denied.Message));
        }

        var now = time.GetUtcNow();
        var lifetimes = options.Value.Lifetimes;
        var newToken = SecretDigest.NewOpaqueSecret();
        var rotation = await grants.RotateAsync(
            presentedHash,
            SecretDigest.Compute(newToken),
            now.ToUnixTimeMilliseconds(),
            (now + lifetimes.RefreshToken).ToUnixTimeMilliseconds(),
            (long)lifetimes.RefreshReuseGrace.TotalMilliseconds,
            cancellationToken);

        switch (rotation.Outcome)
        {
            case RefreshOutcome.Unknown:
                return (null, OAuthError.InvalidGrant("The refresh token is invalid.", OAuthErrors.RefreshTokenInvalidated));
            case RefreshOutcome.Expired:
                return (null, OAuthError.InvalidGrant("The refresh token has expired. Sign in again.", OAuthErrors.RefreshTokenExpired));
            case RefreshOutcome.GrantRevoked:
                return (null, OAuthError.InvalidGrant("The refresh token was revoked. Sign in again.", OAuthErrors.RefreshTokenInvalidated));
            case RefreshOutcome.Reused:
                var detail = new JsonObject { ["grant_id"] = owner.Id, ["reason"] = "refresh_token_reused" };
                await audit.WriteAsync(AuditEventTypes.RefreshTokenReuseDetected, owner.UserId, owner.WorkspaceId, client.ClientId, ip, detail, cancellationToken);
                await audit.WriteAsync(AuditEventTypes.GrantRevoked, owner.UserId, owner.WorkspaceId, client.ClientId, ip, detail.DeepClone().AsObject(), cancellationToken);
                return (null, OAuthError.InvalidGrant("The refresh token was already used. Sign in again.", OAuthErrors.RefreshTokenReused));
        }

        var grant = rotation.Grant!;
        if (await workspaces.FindMembershipAsync(grant.UserId, grant.WorkspaceId, cancellationToken) is null)
        {
            await grants.RevokeAsync(grant.Id, "membership_ended", now.ToUnixTimeMilliseconds(), cancellationToken);
            return (null, OAuthError.InvalidGrant("You are no longer a member of this workspace.", OAuthErrors.RefreshTokenInvalidated));
        }

        return (await issuer.BuildResponseAsync(grant, newToken, nonce: null, cancellationToken), null);
    }
}
