using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2), in one connection
/// and one transaction. Accepts the Codex JSON form; its `refresh_reason` only labels the request.
/// The retry rule (docs/server-security.md, "Refresh rotation"): a retry of a just-rotated token gets the same
/// successor back while that successor is unused, within a window anchored at the rotation (it never renews), and
/// only from the address that made the rotation. Anything else is reuse: the whole grant is revoked and audited.
/// </summary>
public sealed class RefreshTokenGrant(
    GrantRepository grants,
    TokenIssuer issuer,
    SigningKeyService keys,
    AuditLog audit,
    LocalAccessGate localAccess,
    IDataProtectionProvider dataProtection,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    /// <summary>Seals a successor while its retry window is open; the key ring is not in the database in clear.</summary>
    private readonly IDataProtector sealer = dataProtection.CreateProtector("Latchkey.RefreshSuccessor.v1");

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

        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var lifetimes = options.Value.Lifetimes;
        var successor = SecretDigest.NewOpaqueSecret();
        // Sealed before the transaction, so the rotation stores it in the statement that consumes the presented token.
        var stored = new RefreshSuccessor(SecretDigest.Compute(successor), sealer.Protect(successor), (now + lifetimes.RefreshToken).ToUnixTimeMilliseconds());
        var key = await keys.GetActiveKeyAsync(cancellationToken);

        await using var tx = await grants.BeginRefreshAsync(SecretDigest.Compute(presented), stored, client.ClientId, ip, nowMs, cancellationToken);
        if (tx.Context is not { } ctx)
        {
            return (null, OAuthError.InvalidGrant("The refresh token is invalid.", OAuthErrors.RefreshTokenInvalidated));
        }

        if (ctx.RevokedAt is not null)
        {
            return (null, OAuthError.InvalidGrant("The refresh token was revoked. Sign in again.", OAuthErrors.RefreshTokenInvalidated));
        }

        if (tx.Rotated && ctx.GrantFirstUsedAt is null && UnclaimedSignIns.IsPastWindow(ctx.GrantCreatedAt, nowMs, lifetimes))
        {
            // The cleanup may not have run yet; the rule holds from the moment the window closes.
            await tx.RevokeGrantAsync(UnclaimedSignIns.RevokedReason, nowMs);
            await tx.AppendAuditAsync(audit.Row(AuditEventTypes.GrantRevoked, ctx.UserId, ctx.WorkspaceId, ctx.ClientId, ip,
                new JsonObject { ["grant_id"] = ctx.GrantId, ["reason"] = UnclaimedSignIns.RevokedReason }));
            await tx.CommitAsync();
            return (null, OAuthError.InvalidGrant(UnclaimedSignIns.RefusalMessage(lifetimes), OAuthErrors.RefreshTokenInvalidated));
        }

        string answered;
        if (tx.Rotated)
        {
            answered = successor;
        }
        else if (ctx.ConsumedAt is null)
        {
            // Current but not consumed: either expired, or (RFC 6749 §6) presented by a client it was not issued to.
            return ctx.ClientId != client.ClientId
                ? (null, OAuthError.InvalidGrant("The refresh token was issued to another client."))
                : (null, OAuthError.InvalidGrant("The refresh token has expired. Sign in again.", OAuthErrors.RefreshTokenExpired));
        }
        else if (await RetrySuccessorAsync(tx, ctx, client, ip, nowMs) is { } retried)
        {
            answered = retried;
        }
        else
        {
            // RFC 9700 §4.14.2: an invalidated refresh token used again revokes the whole family, with its access tokens.
            var detail = new JsonObject { ["grant_id"] = ctx.GrantId, ["reason"] = "refresh_token_reused" };
            await tx.RevokeGrantAsync("refresh_token_reused", nowMs);
            await tx.AppendAuditAsync(audit.Row(AuditEventTypes.RefreshTokenReuseDetected, ctx.UserId, ctx.WorkspaceId, client.ClientId, ip, detail));
            await tx.AppendAuditAsync(audit.Row(AuditEventTypes.GrantRevoked, ctx.UserId, ctx.WorkspaceId, client.ClientId, ip, detail.DeepClone().AsObject()));
            await tx.CommitAsync();
            return (null, OAuthError.InvalidGrant("The refresh token was already used. Sign in again.", OAuthErrors.RefreshTokenReused));
        }

        var workspace = ctx.Workspace;
        if (workspace is null)
        {
            await tx.RevokeGrantAsync("membership_ended", nowMs);
            await tx.CommitAsync();
            return (null, OAuthError.InvalidGrant("You are no longer a member of this workspace.", OAuthErrors.RefreshTokenInvalidated));
        }

        // Decided before anything is committed, so a refused client keeps a refresh token that works again once
        // policy allows (disposing the transaction rolls the rotation back).
        var decision = AccessRules.Decide(WorkspaceAccessService.From(ctx), WorkspaceAction.UseLocally, new AccessTarget { LocalClient = client.IsLocal, SignInAmr = ctx.Amr });
        if (!decision.IsAllowed)
        {
            await tx.RollbackAsync();
            var denied = await localAccess.RecordAsync(decision, ctx.UserId, ctx.WorkspaceId, client.ClientId, ip, "refresh", cancellationToken);
            return (null, OAuthError.PolicyDenied(denied!.Message));
        }

        // The MFA rule (CliMfaRule), from the columns the one query already read.
        if (client.IsLocal && CliMfaRule.Decide(ctx.HasPassword, ctx.HasMfa) is { } mfaRequired)
        {
            await tx.RollbackAsync();
            await audit.WriteAsync(AuditEventTypes.MfaRequiredRefusal, ctx.UserId, ctx.WorkspaceId, client.ClientId, ip, new JsonObject { ["stage"] = "refresh" }, cancellationToken);
            return (null, OAuthError.PolicyDenied(mfaRequired.Message));
        }

        if (ctx.GrantFirstUsedAt is null)
        {
            await tx.MarkGrantUsedAsync(nowMs);
        }

        await tx.CommitAsync();
        return (issuer.BuildResponse(ctx.Grant, ctx.Email, ctx.EmailVerifiedAt is not null, workspace.PlanType, answered, nonce: null, key), null);
    }

    /// <summary>
    /// The successor to hand back to an honest retry, or null when the presented token's reuse must revoke the grant:
    /// same client, same source address as the rotation, inside the window from the rotation, successor unused.
    /// </summary>
    private async Task<string?> RetrySuccessorAsync(RefreshTransaction tx, RefreshContextRow ctx, RegisteredClient client, string? ip, long now)
    {
        var window = (long)options.Value.Lifetimes.RefreshRetryWindow.TotalMilliseconds;
        var eligible = ctx.ClientId == client.ClientId
            && string.Equals(ip, ctx.RotatedByIp, StringComparison.Ordinal)
            && ctx.ReplacedByHash is not null && ctx.SuccessorConsumedAt is null
            && now - ctx.ConsumedAt!.Value <= window
            && ctx.SuccessorExpiresAt > now;
        if (!eligible || await tx.ClaimUnusedSuccessorAsync() is not { } sealedSecret)
        {
            return null;
        }

        try
        {
            var secret = sealer.Unprotect(sealedSecret);
            // The sealed value must be the successor the database names, or it is not answered.
            return SecretDigest.FixedTimeEquals(SecretDigest.Compute(secret), ctx.ReplacedByHash!) ? secret : null;
        }
        catch (CryptographicException)
        {
            return null; // sealed under a key this server no longer has: cannot answer, so treat as reuse
        }
    }
}
