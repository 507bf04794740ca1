namespace Latchkey.Server.Storage.Repositories;

/// <summary>
/// The columns and joins of <see cref="Rows.MemberStandingRow"/>, for a query whose row (aliased <c>source</c>) has
/// <c>user_id</c> and <c>workspace_id</c>: one query reads what a token grant decides on, instead of one per table.
/// </summary>
internal static class MemberStandingSql
{
    public const string Columns =
        """
        u.email, u.email_verified_at,
        CASE WHEN u.password_hash <> '' THEN 1 ELSE 0 END AS has_password,
        CASE WHEN u.totp_secret_protected IS NOT NULL OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) THEN 1 ELSE 0 END AS has_mfa,
        m.role, w.name AS workspace_name, w.plan_type, w.personal_owner_id, w.created_at AS workspace_created_at,
        w.local_access_enabled, w.device_sign_in_enabled, w.member_access_tokens_enabled, w.access_token_max_days,
        w.audit_retention_days, w.api_usage_retention_days, w.require_passkey,
        r.id AS custom_role_id, r.name AS custom_role_name, r.permissions AS custom_role_permissions
        """;

    /// <summary>Joins for a source row aliased <paramref name="source"/> (the user must exist; the membership may have ended).</summary>
    public static string Joins(string source) =>
        $"""
        JOIN users u ON u.id = {source}.user_id
        LEFT JOIN workspace_members m ON m.user_id = {source}.user_id AND m.workspace_id = {source}.workspace_id
        LEFT JOIN workspaces w ON w.id = m.workspace_id
        LEFT JOIN custom_roles r ON r.workspace_id = m.workspace_id AND r.id = m.role
        """;
}
