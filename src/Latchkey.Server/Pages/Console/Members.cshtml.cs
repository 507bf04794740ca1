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

    public string? InviteEmail { get; private set; }

    public int InviteLifetimeDays => (int)options.Value.InvitationLifetime.TotalDays;

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListMembers;

    public string RoleLabel(string role) => role == WorkspaceRoles.Owner ? "Owner" : RoleChoices.FirstOrDefault(c => c.Value == role).Label ?? role;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Asked == "remove" && Members.FirstOrDefault(m => m.UserId == Request.Query["userId"]) is { } member
            && Access.Decide(WorkspaceAction.RemoveMember, new AccessTarget { MemberRole = member.Role }).IsAllowed)
        {
            var self = member.UserId == Access.UserId;
            Confirm = new Confirmation("remove", self ? "Leave this workspace?" : $"Remove {member.Email} from this workspace?",
                (self ? "You" : "They") + " lose access at once: " + (self ? "your" : "their") + " CLI and app sign-ins and access tokens for this workspace stop working.",
                self ? "Leave workspace" : "Remove member", new Dictionary<string, string> { ["userId"] = member.UserId });
        }
        else if (Asked == "revokeInvitation" && Invitations.FirstOrDefault(i => i.Id == Request.Query["invitationId"]) is { } invitation)
        {
            Confirm = new Confirmation("revokeInvitation", $"Revoke the invitation for {invitation.Email ?? "anyone with the link"}?",
                "The link stops working; you can create a new one at any time.", "Revoke invitation", new Dictionary<string, string> { ["invitationId"] = invitation.Id });
        }
    }

    public async Task<IActionResult> OnPostRoleAsync(string? userId, string? role, CancellationToken cancellationToken)
    {
        var result = await admin.ChangeRoleAsync(Access, userId ?? string.Empty, role, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return result.Succeeded ? Done("Role changed.") : Refused(result.Error!);
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? userId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "remove", ("userId", userId)) is { } ask)
        {
            return ask;
        }

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

        return ShowOnce(new ShownSecret(ShownSecret.InviteKind, $"for {InviteLifetimeDays} days", result.Value.Url));
    }

    public async Task<IActionResult> OnPostRevokeInvitationAsync(string? invitationId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "revokeInvitation", ("invitationId", invitationId)) is { } ask)
        {
            return ask;
        }

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
