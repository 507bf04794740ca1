using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>
/// One refresh grant in one connection and one transaction (docs/server-security.md, "Refresh rotation"). Opening it
/// consumes the presented token if it is current (an atomic conditional UPDATE, so of many concurrent requests on any
/// number of instances exactly one wins, with no SELECT … FOR UPDATE), then reads everything the decision needs in
/// one query, and stores the successor of a consumed token — all in one command. The caller decides, writes through
/// the methods here, and commits; disposing without a commit rolls the rotation back, so a refused request leaves the
/// token as it was. A refusal that commits (it revokes the grant) leaves the successor stored under the revoked grant,
/// where it can never be redeemed and its secret was never answered.
/// </summary>
public sealed class RefreshTransaction : IAsyncDisposable
{
    private static readonly string ContextSql =
        $"""
        SELECT t.grant_id, t.expires_at, t.consumed_at, t.replaced_by_hash, t.rotated_by_ip,
               s.consumed_at AS successor_consumed_at, s.expires_at AS successor_expires_at,
               g.user_id, g.workspace_id, g.client_id, g.scope, g.auth_time, g.amr, g.created_at AS grant_created_at, g.first_used_at AS grant_first_used_at, g.revoked_at, g.revoked_reason,
               {MemberStandingSql.Columns}
        FROM refresh_tokens t
        JOIN grants g ON g.id = t.grant_id
        LEFT JOIN refresh_tokens s ON s.token_hash = t.replaced_by_hash
        {MemberStandingSql.Joins("g")}
        WHERE t.token_hash = @presentedHash
        """;

    /// <summary>
    /// Consumes the presented token if it is current, reads the context, and stores the successor (its secret sealed
    /// for the retry window) only if this statement's UPDATE consumed the token: the successor's digest is fresh, so
    /// only a rotation made by this request names it. The context is read before the successor exists, as a refusal
    /// sees it; a refusal rolls all three back.
    /// </summary>
    private static readonly string RotateSql =
        $"""
        UPDATE refresh_tokens SET consumed_at = @now, replaced_by_hash = @successorHash, rotated_by_ip = @ip, sealed_secret = NULL
        WHERE token_hash = @presentedHash AND consumed_at IS NULL AND expires_at > @now
          AND EXISTS (SELECT 1 FROM grants g WHERE g.id = refresh_tokens.grant_id AND g.revoked_at IS NULL AND g.client_id = @clientId)
        RETURNING grant_id;
        {ContextSql};
        INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at, consumed_at, replaced_by_hash, rotated_by_ip, sealed_secret)
        SELECT @successorHash, grant_id, @now, @successorExpiresAt, NULL, NULL, NULL, @sealedSecret
        FROM refresh_tokens WHERE token_hash = @presentedHash AND replaced_by_hash = @successorHash;
        """;

    private readonly WriteTransaction transaction;

    private RefreshTransaction(WriteTransaction transaction) => this.transaction = transaction;

    /// <summary>What the presented token, its grant and the membership look like; null when the token is unknown.</summary>
    public RefreshContextRow? Context { get; private set; }

    /// <summary>True when this request consumed the presented token (it was current, unexpired, of this client and a live grant).</summary>
    public bool Rotated { get; private set; }

    public static async Task<RefreshTransaction> BeginAsync(
        IDbConnectionFactory db, string presentedHash, RefreshSuccessor successor, string clientId, string? ip, long now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(successor);
        // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default) takes the write lock up front. PostgreSQL: the
        // UPDATE's row lock makes a concurrent UPDATE of the same token wait, re-check `consumed_at IS NULL` and
        // match nothing. The three statements go as one command: one round trip to PostgreSQL.
        var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        try
        {
            var result = new RefreshTransaction(tx);
            await using (var grid = await tx.QueryMultipleAsync(
                RotateSql,
                new { now, successorHash = successor.TokenHash, ip, presentedHash, clientId, successorExpiresAt = successor.ExpiresAt, sealedSecret = successor.SealedSecret }))
            {
                result.Rotated = await grid.ReadSingleOrDefaultAsync<string>() is not null;
                result.Context = await grid.ReadSingleOrDefaultAsync<RefreshContextRow>();
            }

            return result;
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
    }

    /// <summary>A redeemed refresh token claims its sign-in (the unclaimed rule, TokenLifetimeOptions.UnclaimedSignIn); written with the commit.</summary>
    public Task MarkGrantUsedAsync(long now)
        => transaction.WriteAtCommitAsync(
            "UPDATE grants SET first_used_at = @now WHERE id = @grantId AND first_used_at IS NULL",
            new { now, grantId = Context!.GrantId });

    /// <summary>
    /// For a retry: the sealed successor, if it is still unused. A conditional UPDATE rather than a plain read, so a
    /// concurrent rotation of the successor on another instance is ordered against this answer.
    /// </summary>
    public Task<string?> ClaimUnusedSuccessorAsync()
        => transaction.QuerySingleOrDefaultAsync<string?>(
            "UPDATE refresh_tokens SET sealed_secret = sealed_secret WHERE token_hash = @hash AND consumed_at IS NULL AND sealed_secret IS NOT NULL RETURNING sealed_secret",
            new { hash = Context!.ReplacedByHash });

    /// <summary>Revokes the whole grant family (RFC 9700 §4.14.2) and forgets every sealed successor in it.</summary>
    public async Task RevokeGrantAsync(string reason, long now)
    {
        await transaction.ExecuteAsync(
            "UPDATE grants SET revoked_at = @now, revoked_reason = @reason WHERE id = @grantId AND revoked_at IS NULL",
            new { now, reason, grantId = Context!.GrantId });
        await transaction.ExecuteAsync(
            "UPDATE refresh_tokens SET sealed_secret = NULL WHERE grant_id = @grantId AND sealed_secret IS NOT NULL",
            new { grantId = Context.GrantId });
    }

    /// <summary>Audit events written in the same transaction as the change they record (the last one with the commit).</summary>
    public Task AppendAuditAsync(AuditEventRow row) => transaction.WriteAtCommitAsync(AuditRepository.InsertSql, row);

    /// <summary>Not cancellable: once the decision is made, it is recorded even if the caller has gone away.</summary>
    public Task CommitAsync() => transaction.CommitAsync();

    /// <summary>Undoes the rotation now and gives the connection back, for a refusal that is then recorded on its own.</summary>
    public ValueTask RollbackAsync() => transaction.DisposeAsync();

    public ValueTask DisposeAsync() => transaction.DisposeAsync();
}

/// <summary>The successor a rotation stores: the digest of its secret, the secret sealed for the retry window, its expiry.</summary>
public sealed record RefreshSuccessor(string TokenHash, string SealedSecret, long ExpiresAt);
