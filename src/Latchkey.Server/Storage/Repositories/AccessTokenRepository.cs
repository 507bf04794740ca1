using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class AccessTokenRepository(IDbConnectionFactory db)
{
    private const string Columns =
        "t.id, t.token_hash, t.name, t.user_id, t.workspace_id, t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, t.revoked_by, t.revoked_reason, t.replaces_id, t.display_mask, u.email AS creator_email";

    /// <summary>The client id of grants that stand for an access token (see <see cref="CreateAsync"/>).</summary>
    public const string GrantClientId = "access-token";

    /// <summary>
    /// Stores the token and a grant with the same id: the short-lived JWTs a token exchange mints name that grant
    /// in `sid`, so revoking the token (which revokes the grant) stops them too, through the usual grant check.
    /// </summary>
    public async Task CreateAsync(AccessTokenRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO access_tokens (id, token_hash, name, user_id, workspace_id, created_at, expires_at, replaces_id, display_mask)
            VALUES (@Id, @TokenHash, @Name, @UserId, @WorkspaceId, @CreatedAt, @ExpiresAt, @ReplacesId, @DisplayMask)
            """,
            row, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO grants (id, user_id, workspace_id, client_id, scope, auth_time, created_at) VALUES (@Id, @UserId, @WorkspaceId, @client, 'openid profile email', @CreatedAt, @CreatedAt)",
            new { row.Id, row.UserId, row.WorkspaceId, row.CreatedAt, client = GrantClientId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<AccessTokenRow?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<AccessTokenRow>(new CommandDefinition(
            $"SELECT {Columns} FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = @tokenHash",
            new { tokenHash }, cancellationToken: cancellationToken));
    }

    public async Task<AccessTokenRow?> FindAsync(string workspaceId, string id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<AccessTokenRow>(new CommandDefinition(
            $"SELECT {Columns} FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.workspace_id = @workspaceId AND t.id = @id",
            new { workspaceId, id }, cancellationToken: cancellationToken));
    }

    /// <summary>The workspace's tokens, newest first; only <paramref name="userId"/>'s when given.</summary>
    public async Task<IReadOnlyList<AccessTokenRow>> ListAsync(string workspaceId, string? userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<AccessTokenRow>(new CommandDefinition(
            $"SELECT {Columns} FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.workspace_id = @workspaceId AND (@userId IS NULL OR t.user_id = @userId) ORDER BY t.created_at DESC, t.id",
            new { workspaceId, userId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Revokes a live token; false when it was already revoked (or does not exist).</summary>
    public async Task<bool> RevokeAsync(string id, string revokedBy, string reason, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var revoked = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE access_tokens SET revoked_at = @now, revoked_by = @revokedBy, revoked_reason = @reason WHERE id = @id AND revoked_at IS NULL",
            new { id, revokedBy, reason, now }, tx, cancellationToken: cancellationToken)) == 1;
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE grants SET revoked_at = @now, revoked_reason = @reason WHERE id = @id AND revoked_at IS NULL",
            new { id, reason = "access_token_" + reason, now }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return revoked;
    }

    /// <summary>Revokes every live access token of the user in every workspace, with the grants they stand on; returns how many tokens.</summary>
    public async Task<int> RevokeAllForUserAsync(string userId, string revokedBy, string reason, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var revoked = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE access_tokens SET revoked_at = @now, revoked_by = @revokedBy, revoked_reason = @reason WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId, revokedBy, reason, now }, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE grants SET revoked_at = @now, revoked_reason = @reason WHERE user_id = @userId AND client_id = @accessTokens AND revoked_at IS NULL",
            new { userId, reason = "access_token_" + reason, now, accessTokens = GrantClientId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return revoked;
    }

    public async Task TouchAsync(string id, long now, string? ip, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE access_tokens SET last_used_at = @now, last_used_ip = @ip WHERE id = @id",
            new { id, now, ip }, cancellationToken: cancellationToken));
    }
}
