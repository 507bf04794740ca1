using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class AuthorizationCodeRepository(IDbConnectionFactory db)
{
    private const string Columns = "code_hash, client_id, user_id, workspace_id, redirect_uri, code_challenge, scope, nonce, auth_time, created_at, expires_at, consumed_at, grant_id, amr";

    private static readonly string ExchangeContextSql =
        $"""
        SELECT a.user_id, a.workspace_id, a.client_id, a.redirect_uri, a.code_challenge, a.scope, a.nonce, a.auth_time,
               a.expires_at, a.consumed_at, a.grant_id, a.amr,
               {MemberStandingSql.Columns}
        FROM authorization_codes a
        {MemberStandingSql.Joins("a")}
        WHERE a.code_hash = @codeHash
        """;

    private static readonly string ConsumeForExchangeSql =
        $"""
        UPDATE authorization_codes SET consumed_at = @now, grant_id = @grantId
        WHERE code_hash = @codeHash AND consumed_at IS NULL
        RETURNING code_hash;
        {ExchangeContextSql};
        """;

    public async Task CreateAsync(AuthorizationCodeRow code, CancellationToken cancellationToken)
    {
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        await CreateAsync(tx, code);
        await tx.CommitAsync();
    }

    /// <summary>A new code inside the caller's transaction, written at the commit (on PostgreSQL in the same round trip).</summary>
    public Task CreateAsync(WriteTransaction tx, AuthorizationCodeRow code)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.WriteAtCommitAsync(
            $"INSERT INTO authorization_codes ({Columns}) VALUES (@CodeHash, @ClientId, @UserId, @WorkspaceId, @RedirectUri, @CodeChallenge, @Scope, @Nonce, @AuthTime, @CreatedAt, @ExpiresAt, NULL, NULL, @Amr)",
            code);
    }

    public async Task<AuthorizationCodeRow?> FindAsync(string codeHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<AuthorizationCodeRow>(new CommandDefinition(
            $"SELECT {Columns} FROM authorization_codes WHERE code_hash = @codeHash", new { codeHash }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The exchange's one step before its grant is stored: marks the code used for <paramref name="grantId"/> if nobody
    /// has (RFC 6749 §4.1.2: "MUST NOT use the authorization code more than once"), then reads the code with its user's
    /// standing, as one command (one round trip to PostgreSQL). <c>Consumed</c> is true when this call marked it; the
    /// caller then checks the exchange and either stores the grant in the same transaction or lets it roll back, which
    /// leaves the code unused. When false, the row shows the earlier use and the grant made from it (§10.5: the grant a
    /// replay revokes), also when a concurrent exchange won the race (SQLite: one writer at a time; PostgreSQL: the row
    /// lock makes this UPDATE wait, re-check and match nothing, and the read sees the winner's commit). Row null: no
    /// such code, or its account is gone.
    /// </summary>
    /// <remarks>
    /// Inside the exchange's own transaction, so the read, the consumption and the grant share one connection (on
    /// SQLite the writer, whose page cache no other connection's commit has made stale).
    /// </remarks>
    public async Task<(bool Consumed, CodeExchangeContextRow? Row)> ConsumeForExchangeAsync(WriteTransaction tx, string codeHash, string grantId, long now)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var grid = await tx.QueryMultipleAsync(ConsumeForExchangeSql, new { codeHash, grantId, now });
        var consumed = await grid.ReadSingleOrDefaultAsync<string>() is not null;
        return (consumed, await grid.ReadSingleOrDefaultAsync<CodeExchangeContextRow>());
    }

    /// <summary>
    /// Marks the code used, exactly once (RFC 6749 §4.1.2: "MUST NOT use the authorization code more than once"), and
    /// records the grant made from it (null when the exchange was refused) in the same statement, inside the
    /// transaction that creates that grant: a replay either finds the code unused or finds it used together with the
    /// grant to revoke (§10.5), never used with the grant still to come. Of any number of concurrent exchanges exactly
    /// one matches (SQLite: one writer at a time; PostgreSQL: the row lock makes the others re-check and match nothing).
    /// </summary>
    public async Task<bool> TryConsumeAsync(WriteTransaction tx, string codeHash, string? grantId, long now)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return await tx.ExecuteAsync(
            "UPDATE authorization_codes SET consumed_at = @now, grant_id = @grantId WHERE code_hash = @codeHash AND consumed_at IS NULL",
            new { codeHash, grantId, now }) == 1;
    }
}
