using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

/// <summary>
/// Every member's landing page in a workspace, whatever the policies: what they may do here (asked of the decision
/// table, never read off raw permissions), their own access tokens when tokens are allowed, where to see their
/// sign-ins, and whom to ask for more.
/// </summary>
public sealed class HomeModel(AccessTokenService tokens, WorkspaceRepository workspaces, WorkspaceNaming naming) : ConsolePageModel
{
    /// <summary>What a member may be allowed to do, in the words the page uses; each line asks the decision table.</summary>
    public static readonly IReadOnlyList<(WorkspaceAction Action, string Label)> Abilities =
    [
        (WorkspaceAction.UseLocally, "Sign in with the latchkey CLI, Codex and apps"),
        (WorkspaceAction.SignInWithDevice, "Sign in a device with a code"),
        (WorkspaceAction.CreateAccessToken, "Create access tokens for automation"),
        (WorkspaceAction.ListMembers, "See the member list"),
        (WorkspaceAction.InviteMember, "Invite people"),
        (WorkspaceAction.ChangeMemberRole, "Change members' roles and remove members"),
        (WorkspaceAction.SaveRole, "Define custom roles"),
        (WorkspaceAction.ChangePolicies, "Change the workspace's policies"),
        (WorkspaceAction.ListApiKeys, "Manage the workspace's API keys"),
        (WorkspaceAction.ReadAuditLog, "Read the audit log"),
        (WorkspaceAction.RenameWorkspace, "Rename the workspace"),
    ];

    /// <summary>The caller's own access tokens that still work; null when tokens are not allowed for them.</summary>
    public IReadOnlyList<AccessTokenRow>? MyTokens { get; private set; }

    /// <summary>Owners and admins: the people to ask.</summary>
    public IReadOnlyList<MemberRow> Administrators { get; private set; } = [];

    public string? NewName { get; private set; }

    public async Task<IActionResult> OnPostRenameAsync(string? name, CancellationToken cancellationToken)
    {
        var result = await naming.RenameAsync(Access, name, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            NewName = name;
            return Refused(result.Error! with { Message = result.Error.Message + " The name was not changed." });
        }

        return Done($"Workspace renamed to “{result.Value!.Name}”.");
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (Access.May(WorkspaceAction.ListAccessTokens))
        {
            MyTokens = ((await tokens.ListAsync(Access, cancellationToken)).Value ?? [])
                .Where(t => t.UserId == Access.UserId && AccessTokenService.Status(t, Now) == "active")
                .ToList();
        }

        Administrators = (await workspaces.ListMembersAsync(Access.WorkspaceId, cancellationToken))
            .Where(m => WorkspaceRoles.IsAdministrator(m.Role))
            .OrderBy(m => m.Role == WorkspaceRoles.Owner ? 0 : 1)
            .ToList();
    }
}
