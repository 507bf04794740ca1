using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>
/// The caller of a bearer request in one round trip per credential kind: the credential row, its user, their
/// membership, custom role and workspace are joined, so a request never reads the membership a second time.
/// </summary>
public sealed class CallerRepository(IDbConnectionFactory db)
{
    private const string WorkspaceColumns =
        "w.id, w.name, w.plan_type, w.personal_owner_id, w.created_at, w.local_access_enabled, w.device_sign_in_enabled, w.member_access_tokens_enabled, w.access_token_max_days, w.audit_retention_days, w.api_usage_retention_days, w.require_passkey";

    private const string MemberJoins =
        """
        JOIN users u ON u.id = x.user_id
        LEFT JOIN workspace_members m ON m.workspace_id = x.workspace_id AND m.user_id = x.user_id
        LEFT JOIN workspaces w ON w.id = m.workspace_id
        LEFT JOIN custom_roles r ON r.workspace_id = m.workspace_id AND r.id = m.role
        """;

    private const string MemberColumns = "x.user_id, u.email, u.email_verified_at, m.role, r.id AS custom_role_id, r.name AS custom_role_name, r.permissions AS custom_role_permissions";

    /// <summary>A sign-in grant (the `sid` of an access JWT) with its user and their standing in its workspace.</summary>
    public Task<CallerRow?> FindSignInAsync(string grantId, CancellationToken cancellationToken) => QueryAsync(
        $"""
        SELECT x.id AS credential_id, x.workspace_id AS credential_workspace_id, x.client_id, x.revoked_at, x.first_used_at, {MemberColumns}, {WorkspaceColumns}
        FROM grants x {MemberJoins}
        WHERE x.id = @key
        """,
        grantId, cancellationToken);

    /// <summary>An automation access token (by digest) with its creator and their standing in its workspace.</summary>
    public Task<CallerRow?> FindAccessTokenAsync(string tokenHash, CancellationToken cancellationToken) => QueryAsync(
        $"""
        SELECT x.id AS credential_id, x.workspace_id AS credential_workspace_id, x.expires_at, x.revoked_at, x.last_used_at, {MemberColumns}, {WorkspaceColumns}
        FROM access_tokens x {MemberJoins}
        WHERE x.token_hash = @key
        """,
        tokenHash, cancellationToken);

    /// <summary>An API key (by digest) with its workspace; API keys belong to the workspace, not to a member.</summary>
    public Task<CallerRow?> FindApiKeyAsync(string keyHash, CancellationToken cancellationToken) => QueryAsync(
        $"""
        SELECT x.id AS credential_id, x.workspace_id AS credential_workspace_id, x.revoked_at, x.last_used_at, {WorkspaceColumns}
        FROM api_keys x LEFT JOIN workspaces w ON w.id = x.workspace_id
        WHERE x.key_hash = @key
        """,
        keyHash, cancellationToken);

    private async Task<CallerRow?> QueryAsync(string sql, string key, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        // The workspace columns start at its `id`; a missing membership leaves them all null, and Dapper then maps no workspace.
        var rows = await c.QueryAsync<CallerRow, WorkspaceRow, CallerRow>(
            new CommandDefinition(sql, new { key }, cancellationToken: cancellationToken),
            (row, workspace) => row with { Workspace = workspace },
            splitOn: "id");
        return rows.FirstOrDefault();
    }
}
