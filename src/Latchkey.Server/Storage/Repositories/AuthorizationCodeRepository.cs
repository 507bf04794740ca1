using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class AuthorizationCodeRepository(IDbConnectionFactory db)
{
    private const string Columns = "code_hash, client_id, user_id, workspace_id, redirect_uri, code_challenge, scope, nonce, auth_time, created_at, expires_at, consumed_at, grant_id, amr";

    public async Task CreateAsync(AuthorizationCodeRow code, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO authorization_codes ({Columns}) VALUES (@CodeHash, @ClientId, @UserId, @WorkspaceId, @RedirectUri, @CodeChallenge, @Scope, @Nonce, @AuthTime, @CreatedAt, @ExpiresAt, NULL, NULL, @Amr)",
            code, cancellationToken: cancellationToken));
    }

    public async Task<AuthorizationCodeRow?> FindAsync(string codeHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<AuthorizationCodeRow>(new CommandDefinition(
            $"SELECT {Columns} FROM authorization_codes WHERE code_hash = @codeHash", new { codeHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks the code used, exactly once (RFC 6749 §4.1.2: "MUST NOT use the authorization code more than once").</summary>
    public async Task<bool> TryConsumeAsync(string codeHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE authorization_codes SET consumed_at = @now WHERE code_hash = @codeHash AND consumed_at IS NULL",
            new { codeHash, now }, cancellationToken: cancellationToken)) == 1;
    }

    public const string ReplayedMarker = "!replayed";

    /// <summary>Attaches the grant made from this code; false if a replay was seen in the meantime.</summary>
    public async Task<bool> TryAttachGrantAsync(string codeHash, string grantId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE authorization_codes SET grant_id = @grantId WHERE code_hash = @codeHash AND grant_id IS NULL",
            new { codeHash, grantId }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Records a replay that came before the grant was attached, so the exchange in flight revokes it.</summary>
    public async Task MarkReplayedAsync(string codeHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE authorization_codes SET grant_id = @marker WHERE code_hash = @codeHash AND grant_id IS NULL",
            new { codeHash, marker = ReplayedMarker }, cancellationToken: cancellationToken));
    }
}
