using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class ApiKeyRepository(IDbConnectionFactory db)
{
    private const string Columns =
        "k.id, k.key_hash, k.name, k.workspace_id, k.created_by, k.created_at, k.last_used_at, k.revoked_at, k.revoked_by, k.display_mask, u.email AS creator_email";

    public async Task CreateAsync(ApiKeyRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_keys (id, key_hash, name, workspace_id, created_by, created_at, display_mask) VALUES (@Id, @KeyHash, @Name, @WorkspaceId, @CreatedBy, @CreatedAt, @DisplayMask)",
            row, cancellationToken: cancellationToken));
    }

    public async Task<ApiKeyRow?> FindByHashAsync(string keyHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.key_hash = @keyHash",
            new { keyHash }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ApiKeyRow>> ListAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<ApiKeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.workspace_id = @workspaceId ORDER BY k.created_at DESC, k.id",
            new { workspaceId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> RevokeAsync(string workspaceId, string id, string revokedBy, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now, revoked_by = @revokedBy WHERE workspace_id = @workspaceId AND id = @id AND revoked_at IS NULL",
            new { workspaceId, id, revokedBy, now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task TouchAsync(string id, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("UPDATE api_keys SET last_used_at = @now WHERE id = @id", new { id, now }, cancellationToken: cancellationToken));
    }
}
