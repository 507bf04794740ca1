using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Server-side web sessions: created at sign-in, checked on every request, ended by logout or by the user.</summary>
public sealed class WebSessionRepository(IDbConnectionFactory db)
{
    private const string Columns = "id, token_hash, user_id, created_at, expires_at, last_seen_at, auth_time, mfa_method, device, ip_address, ended_at, ended_reason, amr";

    public async Task CreateAsync(WebSessionRow session, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO web_sessions ({Columns}) VALUES (@Id, @TokenHash, @UserId, @CreatedAt, @ExpiresAt, @LastSeenAt, @AuthTime, @MfaMethod, @Device, @IpAddress, NULL, NULL, @Amr)",
            session, cancellationToken: cancellationToken));
    }

    /// <summary>The live session whose secret has this digest, with its user's email; null when unknown, ended or expired. One indexed lookup.</summary>
    public async Task<ValidWebSession?> FindValidAsync(string tokenHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<ValidWebSession>(new CommandDefinition(
            """
            SELECT s.id, s.user_id, u.email, s.auth_time, s.mfa_method, s.amr, s.expires_at, s.last_seen_at
            FROM web_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @tokenHash AND s.ended_at IS NULL AND s.expires_at > @now
            """,
            new { tokenHash, now }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Records that the session was seen now, from this address, unless it was already seen after
    /// <paramref name="seenAfter"/>: concurrent requests in one minute write once.
    /// </summary>
    public async Task TouchAsync(string id, long now, long seenAfter, string? ipAddress, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE web_sessions SET last_seen_at = @now, ip_address = @ipAddress WHERE id = @id AND last_seen_at <= @seenAfter AND ended_at IS NULL",
            new { id, now, seenAfter, ipAddress }, cancellationToken: cancellationToken));
    }

    /// <summary>The user's live sessions, most recently seen first.</summary>
    public async Task<IReadOnlyList<WebSessionRow>> ListActiveForUserAsync(string userId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<WebSessionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM web_sessions WHERE user_id = @userId AND ended_at IS NULL AND expires_at > @now ORDER BY last_seen_at DESC, created_at DESC",
            new { userId, now }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Ends one of the user's sessions; false when it is not theirs, unknown, or already ended.</summary>
    public async Task<bool> EndAsync(string id, string userId, string reason, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE web_sessions SET ended_at = @now, ended_reason = @reason WHERE id = @id AND user_id = @userId AND ended_at IS NULL",
            new { id, userId, reason, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Ends every live session of the user except <paramref name="keepId"/> (when given); returns how many ended.</summary>
    public async Task<int> EndAllForUserAsync(string userId, string? keepId, string reason, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var keep = keepId is null ? string.Empty : " AND id <> @keepId";
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE web_sessions SET ended_at = @now, ended_reason = @reason WHERE user_id = @userId AND ended_at IS NULL" + keep,
            new { userId, keepId, reason, now }, cancellationToken: cancellationToken));
    }
}
