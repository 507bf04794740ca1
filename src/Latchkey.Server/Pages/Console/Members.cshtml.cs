using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Console;

public sealed class MembersModel(WorkspaceAdminService admin, IOptions<LatchkeyServerOptions> options) : ConsolePageModel
{
    public IReadOnlyList<MemberRow> Members { get; private set; } = [];

    public IReadOnlyList<InvitationRow> Invitations { get; private set; } = [];

    public IReadOnlyList<(string Value, string Label)> RoleChoices { get; private set; } = [];

    public string? InviteUrl { get; private set; }

    public string? InviteEmail { get; private set; }

    public int InviteLifetimeDays => (int)options.Value.InvitationLifetime.TotalDays;

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListMembers;

    public string RoleLabel(string role) => role == WorkspaceRoles.Owner ? "Owner" : RoleChoices.FirstOrDefault(c => c.Value == role).Label ?? role;

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostRoleAsync(string? userId, string? role, CancellationToken cancellationToken)
    {
        var result = await admin.ChangeRoleAsync(Access, userId ?? string.Empty, role, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return result.Succeeded ? Done("Role changed.") : Refused(result.Error!);
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? userId, CancellationToken cancellationToken)
    {
        var result = await admin.RemoveMemberAsync(Access, userId ?? string.Empty, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return result.Succeeded ? Done("Member removed.") : Refused(result.Error!);
    }

    public async Task<IActionResult> OnPostInviteAsync(string? email, string? role, CancellationToken cancellationToken)
    {
        var result = await admin.InviteAsync(Access, email, role, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        if (!result.Succeeded)
        {
            InviteEmail = email;
            return Refused(result.Error!);
        }

        // Rendered directly, not redirected: the link is a secret shown once and must not pass through TempData.
        InviteUrl = result.Value.Url;
        Invitations = (await admin.ListInvitationsAsync(Access, cancellationToken)).Value ?? [];
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeInvitationAsync(string? invitationId, CancellationToken cancellationToken)
    {
        var result = await admin.RevokeInvitationAsync(Access, invitationId ?? string.Empty, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return result.Succeeded ? Done("Invitation revoked.") : Refused(result.Error!);
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Members = (await admin.ListMembersAsync(Access, cancellationToken)).Value ?? [];
        Invitations = (await admin.ListInvitationsAsync(Access, cancellationToken)).Value ?? [];
        var custom = (await admin.ListRolesAsync(Access, cancellationToken)).Value ?? [];
        var choices = new List<(string, string)>();
        if (Access.Decide(WorkspaceAction.ChangeMemberRole, new AccessTarget { GrantedRole = WorkspaceRoles.Owner }).IsAllowed)
        {
            choices.Add((WorkspaceRoles.Owner, "Owner"));
        }

        choices.Add((WorkspaceRoles.Admin, "Admin"));
        choices.Add((WorkspaceRoles.Member, "Member"));
        choices.AddRange(custom.Select(r => (r.Id, r.Name)));
        RoleChoices = choices;
    }
}
