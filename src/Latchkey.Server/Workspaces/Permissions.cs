namespace Latchkey.Server.Workspaces;

/// <summary>
/// What a workspace member may do. Owners and admins hold every permission; members hold what the workspace's
/// member policies grant; a custom role adds its own set on top of the member's. Stable names: they are stored
/// in custom roles and returned by the API.
/// </summary>
public static class Permissions
{
    /// <summary>May use the CLI, the client library and the gateway even when local access is off for members.</summary>
    public const string LocalAccess = "local_access";

    /// <summary>May create (and list, revoke, rotate) their own automation access tokens.</summary>
    public const string CreateAccessTokens = "access_tokens.create";

    /// <summary>Sees and revokes every access token in the workspace.</summary>
    public const string ManageAccessTokens = "access_tokens.manage";

    public const string ManageApiKeys = "api_keys.manage";

    public const string ReadAuditLog = "audit.read";

    public const string ReadMembers = "members.read";

    /// <summary>Invite, change roles, remove members. Not grantable by a custom role: it would let a role raise itself.</summary>
    public const string ManageMembers = "members.manage";

    /// <summary>Define custom roles. Owners and admins only.</summary>
    public const string ManageRoles = "roles.manage";

    /// <summary>Change workspace policies. Owners and admins only.</summary>
    public const string ManagePolicies = "policies.manage";

    /// <summary>Permissions an owner or admin may put in a custom role.</summary>
    public static readonly IReadOnlyList<string> Grantable =
        [LocalAccess, CreateAccessTokens, ManageAccessTokens, ManageApiKeys, ReadAuditLog, ReadMembers];

    public static readonly IReadOnlyList<string> All =
        [LocalAccess, CreateAccessTokens, ManageAccessTokens, ManageApiKeys, ReadAuditLog, ReadMembers, ManageMembers, ManageRoles, ManagePolicies];

    public static string Describe(string permission) => permission switch
    {
        LocalAccess => "Use Latchkey locally even when local access is off for members",
        CreateAccessTokens => "Create access tokens",
        ManageAccessTokens => "See and revoke everyone's access tokens",
        ManageApiKeys => "Create and revoke API keys",
        ReadAuditLog => "Read and export the audit log",
        ReadMembers => "See the member list",
        ManageMembers => "Invite members, change roles, remove members",
        ManageRoles => "Define custom roles",
        ManagePolicies => "Change workspace policies",
        _ => permission,
    };
}
