using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>Works out a member's effective permissions. Every check, in the API and the console, goes through here.</summary>
public sealed class WorkspaceAccessService(WorkspaceRepository workspaces)
{
    /// <summary>Null when the user is not a member (or the workspace does not exist).</summary>
    public async Task<WorkspaceAccess?> GetAsync(string? userId, string? workspaceId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(workspaceId))
        {
            return null;
        }

        var membership = await workspaces.FindMembershipAsync(userId, workspaceId, cancellationToken);
        var workspace = membership is null ? null : await workspaces.FindAsync(workspaceId, cancellationToken);
        if (membership is null || workspace is null)
        {
            return null;
        }

        var role = membership.Role;
        CustomRoleRow? custom = WorkspaceRoles.IsCustom(role) ? await workspaces.FindRoleAsync(workspaceId, role, cancellationToken) : null;
        return From(workspace, userId, role, custom);
    }

    /// <summary>A member's standing from the columns a token grant read with what it was presented; null when not a member.</summary>
    public static WorkspaceAccess? From(MemberStandingRow standing)
    {
        ArgumentNullException.ThrowIfNull(standing);
        return standing.Workspace is { } workspace ? From(workspace, standing.UserId, standing.Role!, standing.CustomRole) : null;
    }

    /// <summary>A member's standing from rows already read (the refresh grant reads them in its one query).</summary>
    public static WorkspaceAccess From(WorkspaceRow workspace, string userId, string role, CustomRoleRow? customRole)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(role);
        var custom = WorkspaceRoles.IsCustom(role) ? customRole : null;
        return new WorkspaceAccess(workspace, userId, role, custom?.Name ?? role, Compute(workspace, role, custom));
    }

    public static HashSet<string> Compute(WorkspaceRow workspace, string role, CustomRoleRow? customRole)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (WorkspaceRoles.IsAdministrator(role))
        {
            return [.. Permissions.All];
        }

        // Members: what the workspace's member policies allow; a custom role adds its own grants on top.
        var granted = new HashSet<string>(StringComparer.Ordinal);
        if (workspace.LocalAccessEnabled)
        {
            granted.Add(Permissions.LocalAccess);
        }

        if (workspace.MemberAccessTokensEnabled)
        {
            granted.Add(Permissions.CreateAccessTokens);
        }

        foreach (var p in customRole?.PermissionList ?? [])
        {
            if (Permissions.Grantable.Contains(p))
            {
                granted.Add(p);
            }
        }

        return granted;
    }
}
