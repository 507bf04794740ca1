using System.Data.Common;
using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Workspaces, their members, custom roles, policies and invitations.</summary>
public sealed class WorkspaceRepository(IDbConnectionFactory db)
{
    private const string WorkspaceColumns =
        "id, name, plan_type, personal_owner_id, created_at, local_access_enabled, device_sign_in_enabled, member_access_tokens_enabled, access_token_max_days, audit_retention_days, api_usage_retention_days, require_passkey";

    private const string InvitationColumns = "id, token_hash, workspace_id, email, role, created_by, created_at, expires_at, accepted_at, accepted_by, revoked_at";

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

    public async Task<WorkspaceRow?> FindAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<WorkspaceRow>(new CommandDefinition(
            $"SELECT {WorkspaceColumns} FROM workspaces WHERE id = @workspaceId", new { workspaceId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WorkspaceRow>> ListAllAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<WorkspaceRow>(new CommandDefinition($"SELECT {WorkspaceColumns} FROM workspaces", cancellationToken: cancellationToken))).AsList();
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

    /// <summary>Adds a member; false when they already are one.</summary>
    public async Task<bool> AddMemberAsync(string workspaceId, string userId, string role, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (@workspaceId, @userId, @role, @now)",
                new { workspaceId, userId, role, now }, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<MemberRow>> ListMembersAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<MemberRow>(new CommandDefinition(
            """
            SELECT m.user_id, u.email, m.role, m.created_at
            FROM workspace_members m JOIN users u ON u.id = m.user_id
            WHERE m.workspace_id = @workspaceId
            ORDER BY u.normalized_email
            """,
            new { workspaceId }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>
    /// Changes a member's role, or removes them (<paramref name="newRole"/> null), unless that would leave the
    /// workspace without an owner. The workspace row is locked first so two concurrent demotions of two owners
    /// cannot both see "another owner remains". A removal also revokes the member's sign-ins (grants) for this
    /// workspace in the same transaction, so their refresh and access tokens die with the membership (RFC 7662 §2.2,
    /// RFC 6750 §3.1); their automation access tokens are refused by the membership check.
    /// </summary>
    public async Task<MemberChange> ChangeMemberAsync(string workspaceId, string userId, string? newRole, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await LockWorkspaceAsync(c, tx, workspaceId, cancellationToken);
        var current = await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT role FROM workspace_members WHERE workspace_id = @workspaceId AND user_id = @userId",
            new { workspaceId, userId }, tx, cancellationToken: cancellationToken));
        if (current is null)
        {
            return MemberChange.NotMember;
        }

        if (current == "owner" && newRole != "owner")
        {
            var owners = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = @workspaceId AND role = 'owner'",
                new { workspaceId }, tx, cancellationToken: cancellationToken));
            if (owners <= 1)
            {
                return MemberChange.LastOwner;
            }
        }

        await c.ExecuteAsync(new CommandDefinition(
            newRole is null
                ? "DELETE FROM workspace_members WHERE workspace_id = @workspaceId AND user_id = @userId"
                : "UPDATE workspace_members SET role = @newRole WHERE workspace_id = @workspaceId AND user_id = @userId",
            new { workspaceId, userId, newRole }, tx, cancellationToken: cancellationToken));
        if (newRole is null)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE grants SET revoked_at = @now, revoked_reason = 'member_removed' "
                + "WHERE user_id = @userId AND workspace_id = @workspaceId AND revoked_at IS NULL AND client_id <> 'access-token'",
                new { workspaceId, userId, now }, tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return MemberChange.Done;
    }

    public async Task RenameAsync(string workspaceId, string name, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("UPDATE workspaces SET name = @name WHERE id = @workspaceId", new { workspaceId, name }, cancellationToken: cancellationToken));
    }

    public async Task UpdatePoliciesAsync(WorkspaceRow policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE workspaces SET local_access_enabled = @local, device_sign_in_enabled = @device, member_access_tokens_enabled = @tokens,
                access_token_max_days = @maxDays, audit_retention_days = @auditDays, api_usage_retention_days = @usageDays,
                require_passkey = @passkey
            WHERE id = @id
            """,
            new
            {
                id = policies.Id,
                local = policies.LocalAccessEnabled ? 1L : 0L,
                device = policies.DeviceSignInEnabled ? 1L : 0L,
                tokens = policies.MemberAccessTokensEnabled ? 1L : 0L,
                maxDays = policies.AccessTokenMaxDays,
                auditDays = policies.AuditRetentionDays,
                usageDays = policies.ApiUsageRetentionDays,
                passkey = policies.RequirePasskey ? 1L : 0L,
            },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<CustomRoleRow>> ListRolesAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<CustomRoleRow>(new CommandDefinition(
            "SELECT id, workspace_id, name, permissions, created_at FROM custom_roles WHERE workspace_id = @workspaceId ORDER BY name",
            new { workspaceId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<CustomRoleRow?> FindRoleAsync(string workspaceId, string roleId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<CustomRoleRow>(new CommandDefinition(
            "SELECT id, workspace_id, name, permissions, created_at FROM custom_roles WHERE workspace_id = @workspaceId AND id = @roleId",
            new { workspaceId, roleId }, cancellationToken: cancellationToken));
    }

    /// <summary>Inserts or updates a custom role; false when another role in the workspace has that name.</summary>
    public async Task<bool> SaveRoleAsync(CustomRoleRow role, bool isNew, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                isNew
                    ? "INSERT INTO custom_roles (id, workspace_id, name, permissions, created_at) VALUES (@Id, @WorkspaceId, @Name, @Permissions, @CreatedAt)"
                    : "UPDATE custom_roles SET name = @Name, permissions = @Permissions WHERE id = @Id AND workspace_id = @WorkspaceId",
                role, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    /// <summary>Deletes a custom role that nobody holds; false when it is still assigned.</summary>
    public async Task<bool> DeleteRoleAsync(string workspaceId, string roleId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await LockWorkspaceAsync(c, tx, workspaceId, cancellationToken);
        var holders = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = @workspaceId AND role = @roleId",
            new { workspaceId, roleId }, tx, cancellationToken: cancellationToken));
        if (holders > 0)
        {
            return false;
        }

        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM custom_roles WHERE workspace_id = @workspaceId AND id = @roleId", new { workspaceId, roleId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task CreateInvitationAsync(InvitationRow invitation, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO invitations ({InvitationColumns}) VALUES (@Id, @TokenHash, @WorkspaceId, @Email, @Role, @CreatedBy, @CreatedAt, @ExpiresAt, @AcceptedAt, @AcceptedBy, @RevokedAt)",
            invitation, cancellationToken: cancellationToken));
    }

    public async Task<InvitationRow?> FindInvitationByTokenAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<InvitationRow>(new CommandDefinition(
            $"SELECT {InvitationColumns} FROM invitations WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<InvitationRow>> ListOpenInvitationsAsync(string workspaceId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<InvitationRow>(new CommandDefinition(
            $"SELECT {InvitationColumns} FROM invitations WHERE workspace_id = @workspaceId AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now ORDER BY created_at DESC",
            new { workspaceId, now }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> RevokeInvitationAsync(string workspaceId, string invitationId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE invitations SET revoked_at = @now WHERE workspace_id = @workspaceId AND id = @invitationId AND accepted_at IS NULL AND revoked_at IS NULL",
            new { workspaceId, invitationId, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Marks the invitation used and adds the member in one transaction; false if it was used, revoked or expired meanwhile.</summary>
    public async Task<bool> AcceptInvitationAsync(InvitationRow invitation, string userId, long now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var claimed = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE invitations SET accepted_at = @now, accepted_by = @userId WHERE id = @id AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now",
            new { id = invitation.Id, userId, now }, tx, cancellationToken: cancellationToken));
        if (claimed != 1)
        {
            return false;
        }

        var already = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = @workspaceId AND user_id = @userId",
            new { workspaceId = invitation.WorkspaceId, userId }, tx, cancellationToken: cancellationToken));
        if (already == 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (@workspaceId, @userId, @role, @now)",
                new { workspaceId = invitation.WorkspaceId, userId, role = invitation.Role, now }, tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    private async Task LockWorkspaceAsync(DbConnection c, DbTransaction tx, string workspaceId, CancellationToken cancellationToken)
    {
        // SQLite transactions already hold the database write lock (BEGIN IMMEDIATE); PostgreSQL needs a row lock.
        if (db.Engine == DatabaseEngine.Postgres)
        {
            await c.ExecuteAsync(new CommandDefinition("SELECT id FROM workspaces WHERE id = @workspaceId FOR UPDATE", new { workspaceId }, tx, cancellationToken: cancellationToken));
        }
    }
}

public enum MemberChange
{
    Done,
    NotMember,
    LastOwner,
}
