using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>One user's standing in one workspace: their role and the permissions it gives under current policies.</summary>
public sealed record WorkspaceAccess(WorkspaceRow Workspace, string UserId, string Role, string RoleName, IReadOnlySet<string> Permissions)
{
    /// <summary>The exact refusal the Codex ecosystem shows when local use is switched off.</summary>
    public const string LocalAccessDeniedMessage = "403 - Unauthorized. Contact your workspace administrator for access.";

    public string WorkspaceId => Workspace.Id;

    public bool IsAdministrator => WorkspaceRoles.IsAdministrator(Role);

    public bool IsOwner => Role == WorkspaceRoles.Owner;

    public bool Has(string permission) => Permissions.Contains(permission);

    /// <summary>The decision table's answer for this member (<see cref="AccessRules.Decide"/>).</summary>
    public AccessDecision Decide(WorkspaceAction action, AccessTarget? target = null) => AccessRules.Decide(this, action, target);

    /// <summary>Whether to offer an action at all (links, buttons); the handler asks again with its target.</summary>
    public bool May(WorkspaceAction action) => action switch
    {
        // Offered when the caller may act on at least one token: their own.
        WorkspaceAction.RevokeAccessToken or WorkspaceAction.RotateAccessToken => Decide(action, new AccessTarget { CredentialOwnerId = UserId }).IsAllowed,
        _ => Decide(action).IsAllowed,
    };
}
