using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Grants and their refresh-token families, with rotation and reuse detection (RFC 9700 §4.14.2).</summary>
public sealed class GrantRepository(IDbConnectionFactory db)
{
    private const string GrantColumns = "id, user_id, workspace_id, client_id, scope, auth_time, created_at, revoked_at, revoked_reason, amr, device";
    private const string TokenColumns = "token_hash, grant_id, created_at, expires_at, consumed_at, replaced_by_hash";

    public async Task CreateAsync(GrantRow grant, string refreshTokenHash, long refreshExpiresAt, CancellationToken cancellationToken)
    {
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        await CreateAsync(tx, grant, refreshTokenHash, refreshExpiresAt);
        await tx.CommitAsync();
    }

    private static readonly string CreateSql =
        $"""
        INSERT INTO grants ({GrantColumns}) VALUES (@Id, @UserId, @WorkspaceId, @ClientId, @Scope, @AuthTime, @CreatedAt, NULL, NULL, @Amr, @Device);
        INSERT INTO refresh_tokens ({TokenColumns}) VALUES (@RefreshTokenHash, @Id, @CreatedAt, @RefreshExpiresAt, NULL, NULL);
        """;

    private static readonly string CreateWithEventSql = CreateSql + "\n" +
        "INSERT INTO audit_events (occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail) " +
        "VALUES (@EventOccurredAt, @EventType, @EventUserId, @EventWorkspaceId, @EventClientId, @EventIpAddress, @EventDetail);";

    /// <summary>
    /// The grant and its first refresh token, inside the caller's transaction (with whatever it was made from), and
    /// the event recording it when given: one command of two or three statements, written at the commit — so on
    /// PostgreSQL they travel with the COMMIT, one round trip for the three inserts and the commit.
    /// </summary>
    public async Task CreateAsync(WriteTransaction tx, GrantRow grant, string refreshTokenHash, long refreshExpiresAt, AuditEventRow? created = null)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(grant);
        await tx.WriteAtCommitAsync(
            created is null ? CreateSql : CreateWithEventSql,
            new
            {
                grant.Id, grant.UserId, grant.WorkspaceId, grant.ClientId, grant.Scope, grant.AuthTime, grant.CreatedAt, grant.Amr, grant.Device,
                RefreshTokenHash = refreshTokenHash, RefreshExpiresAt = refreshExpiresAt,
                EventOccurredAt = created?.OccurredAt, created?.EventType, EventUserId = created?.UserId, EventWorkspaceId = created?.WorkspaceId,
                EventClientId = created?.ClientId, EventIpAddress = created?.IpAddress, EventDetail = created?.Detail,
            });
    }

    public async Task<GrantRow?> FindAsync(string grantId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<GrantRow>(new CommandDefinition(
            $"SELECT {GrantColumns} FROM grants WHERE id = @grantId", new { grantId }, cancellationToken: cancellationToken));
    }

    public async Task<GrantRow?> FindByRefreshTokenAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<GrantRow>(new CommandDefinition(
            $"SELECT g.{GrantColumns.Replace(", ", ", g.", StringComparison.Ordinal)} FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = @tokenHash",
            new { tokenHash }, cancellationToken: cancellationToken));
    }

    public async Task<RefreshTokenRow?> FindRefreshTokenAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<RefreshTokenRow>(new CommandDefinition(
            $"SELECT {TokenColumns} FROM refresh_tokens WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The user's live sign-ins (not revoked, refresh token not expired), newest first, with when each last refreshed and
    /// the address it signed in from (kept in the `grant.created` audit event); access-token grants excluded.
    /// </summary>
    public async Task<IReadOnlyList<SignInGrantRow>> ListActiveSignInsForUserAsync(string userId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<SignInGrantRow>(new CommandDefinition(
            """
            SELECT g.id, g.client_id, g.workspace_id, g.created_at, g.first_used_at, g.device,
              (SELECT MAX(t.created_at) FROM refresh_tokens t WHERE t.grant_id = g.id) AS last_used_at,
              (SELECT a.ip_address FROM audit_events a
               WHERE a.user_id = g.user_id AND a.event_type = 'grant.created' AND a.detail LIKE '%"grant_id":"' || g.id || '"%'
               ORDER BY a.occurred_at LIMIT 1) AS ip_address
            FROM grants g
            WHERE g.user_id = @userId AND g.revoked_at IS NULL AND g.client_id <> 'access-token'
              AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.grant_id = g.id AND t.consumed_at IS NULL AND t.expires_at > @now)
            ORDER BY g.created_at DESC
            """,
            new { userId, now }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Revokes a grant; false when it was already revoked (or does not exist).</summary>
    public async Task<bool> RevokeAsync(string grantId, string reason, long now, CancellationToken cancellationToken)
    {
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        var revoked = await RevokeAsync(tx, grantId, reason, now);
        await tx.CommitAsync();
        return revoked;
    }

    /// <summary>Revokes a grant inside the caller's transaction (with the audit event that records it).</summary>
    public async Task<bool> RevokeAsync(WriteTransaction tx, string grantId, string reason, long now)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return await tx.ExecuteAsync(
            "UPDATE grants SET revoked_at = @now, revoked_reason = @reason WHERE id = @grantId AND revoked_at IS NULL",
            new { grantId, reason, now }) == 1;
    }

    /// <summary>
    /// Revokes every live sign-in (refresh-token grant) of the user, for "sign out everywhere", a password change or an
    /// MFA change (ASVS 5.0 §7.4.3). Automation access tokens (`at-`) have grants too but are not sign-ins: they are
    /// managed, and revoked, on their own. Returns how many grants were revoked.
    /// </summary>
    public async Task<int> RevokeAllForUserAsync(string userId, string reason, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE grants SET revoked_at = @now, revoked_reason = @reason WHERE user_id = @userId AND revoked_at IS NULL AND client_id <> @accessTokens",
            new { userId, reason, now, accessTokens = AccessTokenRepository.GrantClientId }, cancellationToken: cancellationToken));
    }

    /// <summary>Records the first use of a sign-in's tokens (the unclaimed rule); later calls change nothing.</summary>
    public async Task MarkUsedAsync(string grantId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE grants SET first_used_at = @now WHERE id = @grantId AND first_used_at IS NULL",
            new { grantId, now }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Revokes every sign-in created at or before <paramref name="createdBefore"/> whose tokens were never used
    /// (reason <paramref name="reason"/>), with one audit row each from <paramref name="auditRow"/> in the same
    /// transaction. Access-token grants are not sign-ins and are left alone. Returns the grants revoked.
    /// </summary>
    public async Task<IReadOnlyList<GrantRow>> RevokeUnclaimedAsync(long createdBefore, string reason, long now, Func<GrantRow, AuditEventRow> auditRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditRow);
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var revoked = (await c.QueryAsync<GrantRow>(new CommandDefinition(
            $"""
            UPDATE grants SET revoked_at = @now, revoked_reason = @reason
            WHERE revoked_at IS NULL AND first_used_at IS NULL AND created_at <= @createdBefore AND client_id <> @accessTokens
            RETURNING {GrantColumns}
            """,
            new { now, reason, createdBefore, accessTokens = AccessTokenRepository.GrantClientId }, tx, cancellationToken: cancellationToken))).AsList();
        foreach (var grant in revoked)
        {
            await c.ExecuteAsync(new CommandDefinition(AuditRepository.InsertSql, auditRow(grant), tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return revoked;
    }

    /// <summary>Starts one refresh grant: see <see cref="RefreshTransaction"/>.</summary>
    public Task<RefreshTransaction> BeginRefreshAsync(string presentedHash, RefreshSuccessor successor, string clientId, string? ip, long now, CancellationToken cancellationToken)
        => RefreshTransaction.BeginAsync(db, presentedHash, successor, clientId, ip, now, cancellationToken);
}
