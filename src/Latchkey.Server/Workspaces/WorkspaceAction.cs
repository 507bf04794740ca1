namespace Latchkey.Server.Workspaces;

/// <summary>
/// Everything a caller may ask to do in a workspace, and the uses of Latchkey that workspace policy governs. Each has
/// exactly one row in <see cref="AccessRules"/>; the API, the console pages and their navigation, the OAuth grants, the
/// bearer front door and the device page all ask that table.
/// </summary>
public enum WorkspaceAction
{
    ListMembers,
    InviteMember,
    ChangeMemberRole,
    RemoveMember,
    ListInvitations,
    RevokeInvitation,
    ListRoles,
    SaveRole,
    DeleteRole,
    ReadPolicies,
    ChangePolicies,
    ListAccessTokens,
    CreateAccessToken,
    RevokeAccessToken,
    RotateAccessToken,
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey,
    ReadAuditLog,

    /// <summary>Claim email domains for single sign-on, require it, set the just-in-time role; see members' sign-in methods.</summary>
    ManageSso,

    /// <summary>Remove another member's second factors (they enrol again at their next sign-in).</summary>
    ResetMemberMfa,

    /// <summary>Use the CLI, Codex, the client library, an `at-` token or the gateway as this workspace's member.</summary>
    UseLocally,

    /// <summary>Approve a device sign-in for this workspace on the device page, or exchange an approved one for tokens.</summary>
    SignInWithDevice,
}
