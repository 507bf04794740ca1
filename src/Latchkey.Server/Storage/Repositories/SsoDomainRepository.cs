using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Email domains workspaces claimed for single sign-on.</summary>
public sealed class SsoDomainRepository(IDbConnectionFactory db)
{
    private const string Columns = "domain, workspace_id, provider, require_sso, jit_role, created_by, created_at, verified_at";

    public async Task<SsoDomainRow?> FindAsync(string domain, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<SsoDomainRow>(new CommandDefinition(
            $"SELECT {Columns} FROM workspace_sso_domains WHERE domain = @domain", new { domain }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<SsoDomainRow>> ListForWorkspaceAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<SsoDomainRow>(new CommandDefinition(
            $"SELECT {Columns} FROM workspace_sso_domains WHERE workspace_id = @workspaceId ORDER BY domain", new { workspaceId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Records a pending claim; false when the domain is already claimed (by any workspace).</summary>
    public async Task<bool> TryClaimAsync(SsoDomainRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO workspace_sso_domains ({Columns}) VALUES (@Domain, @WorkspaceId, @Provider, 0, NULL, @CreatedBy, @CreatedAt, NULL)",
                row, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    /// <summary>The operator's confirmation; false when there is no such claim or it already was confirmed.</summary>
    public async Task<bool> ConfirmAsync(string domain, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE workspace_sso_domains SET verified_at = @now WHERE domain = @domain AND verified_at IS NULL", new { domain, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Sets the policy of a verified domain of this workspace; false when there is none.</summary>
    public async Task<bool> SetPolicyAsync(string workspaceId, string domain, bool requireSso, string? jitRole, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE workspace_sso_domains SET require_sso = @require, jit_role = @jitRole WHERE domain = @domain AND workspace_id = @workspaceId AND verified_at IS NOT NULL",
            new { workspaceId, domain, require = requireSso ? 1L : 0L, jitRole }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> RemoveAsync(string workspaceId, string domain, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM workspace_sso_domains WHERE domain = @domain AND workspace_id = @workspaceId", new { workspaceId, domain }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Every member of the workspace with the sign-in methods their account has, in one query.</summary>
    public async Task<IReadOnlyList<MemberSignInMethodsRow>> ListMemberSignInMethodsAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<MemberSignInMethodsRow>(new CommandDefinition(
            """
            SELECT m.user_id, u.email, m.role,
                   CASE WHEN u.password_hash <> '' THEN 1 ELSE 0 END AS has_password,
                   CASE WHEN u.totp_secret_protected IS NOT NULL THEN 1 ELSE 0 END AS has_totp,
                   (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys,
                   (SELECT MIN(e.provider) FROM external_identities e WHERE e.user_id = u.id) AS providers,
                   (SELECT COUNT(*) FROM workspace_members o JOIN workspaces w ON w.id = o.workspace_id
                    WHERE o.user_id = u.id AND o.workspace_id <> m.workspace_id AND (w.personal_owner_id IS NULL OR w.personal_owner_id <> u.id)) AS other_workspaces
            FROM workspace_members m JOIN users u ON u.id = m.user_id
            WHERE m.workspace_id = @workspaceId
            ORDER BY u.normalized_email
            """,
            new { workspaceId }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
