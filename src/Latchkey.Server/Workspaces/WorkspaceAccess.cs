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

    /// <summary>May use the CLI, the client library, access tokens and the gateway.</summary>
    public bool MayUseLocally => Has(Workspaces.Permissions.LocalAccess);
}
