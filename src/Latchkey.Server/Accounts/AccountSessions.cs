using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Ends a user's sign-ins: one web session, or all of them together with every refresh-token grant (CLI and app
/// sign-ins). Used by "sign out everywhere", a password change and an MFA change (ASVS 5.0 §7.4.3, §7.5).
/// </summary>
public sealed class AccountSessions(WebSessionRepository webSessions, GrantRepository grants, AuditLog audit, TimeProvider time)
{
    /// <summary>Ends one of the user's web sessions; false when it is not theirs or already ended.</summary>
    public async Task<bool> EndWebSessionAsync(string userId, string sessionId, string? ipAddress, CancellationToken cancellationToken)
    {
        if (!await webSessions.EndAsync(sessionId, userId, "user_ended", time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken))
        {
            return false;
        }

        await audit.WriteAsync(AuditEventTypes.WebSessionEnded, userId, ipAddress: ipAddress, detail: new JsonObject { ["session_id"] = sessionId, ["reason"] = "user_ended" }, cancellationToken: cancellationToken);
        return true;
    }

    /// <summary>
    /// Ends every web session of the user except <paramref name="keepSessionId"/> (null: all of them) and revokes every
    /// refresh-token grant, so no refresh token issued before now works at /oauth/token.
    /// </summary>
    public async Task EndAllAsync(string userId, string? keepSessionId, string reason, string? ipAddress, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ended = await webSessions.EndAllForUserAsync(userId, keepSessionId, reason, now, cancellationToken);
        var revoked = await grants.RevokeAllForUserAsync(userId, reason, now, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SignedOutEverywhere, userId, ipAddress: ipAddress, detail: new JsonObject
        {
            ["reason"] = reason,
            ["web_sessions_ended"] = ended,
            ["grants_revoked"] = revoked,
            ["kept_current_session"] = keepSessionId is not null,
        }, cancellationToken: cancellationToken);
    }
}
