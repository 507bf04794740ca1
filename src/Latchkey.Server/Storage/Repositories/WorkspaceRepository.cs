using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class WorkspaceRepository(IDbConnectionFactory db)
{
    public async Task<IReadOnlyList<MembershipRow>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<MembershipRow>(new CommandDefinition(
            """
            SELECT w.id AS workspace_id, w.name AS workspace_name, w.plan_type, m.role
            FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = @userId
            ORDER BY w.created_at, w.id
            """,
            new { userId }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<MembershipRow?> FindMembershipAsync(string userId, string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<MembershipRow>(new CommandDefinition(
            """
            SELECT w.id AS workspace_id, w.name AS workspace_name, w.plan_type, m.role
            FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = @userId AND m.workspace_id = @workspaceId
            """,
            new { userId, workspaceId }, cancellationToken: cancellationToken));
    }

    public async Task CreateAsync(WorkspaceRow workspace, string ownerUserId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workspaces (id, name, plan_type, personal_owner_id, created_at) VALUES (@Id, @Name, @PlanType, @PersonalOwnerId, @CreatedAt)",
            workspace, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (@workspaceId, @userId, 'owner', @now)",
            new { workspaceId = workspace.Id, userId = ownerUserId, now = workspace.CreatedAt }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task AddMemberAsync(string workspaceId, string userId, string role, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (@workspaceId, @userId, @role, @now)",
            new { workspaceId, userId, role, now }, cancellationToken: cancellationToken));
    }
}
