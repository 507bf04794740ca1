using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class RolesModel(WorkspaceAdminService admin) : ConsolePageModel
{
    public IReadOnlyList<CustomRoleRow> Roles { get; private set; } = [];

    public string? EditingId { get; private set; }

    public string? Name { get; private set; }

    public IReadOnlyCollection<string> Chosen { get; private set; } = [];

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListRoles;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Roles = (await admin.ListRolesAsync(Access, cancellationToken)).Value ?? [];
        if (Asked == "delete" && Access.May(WorkspaceAction.DeleteRole) && Roles.FirstOrDefault(r => r.Id == Request.Query["roleId"]) is { } role)
        {
            Confirm = new Confirmation("delete", $"Delete the role “{role.Name}”?",
                "Only a role nobody holds can be deleted. This cannot be undone.", "Delete role", new Dictionary<string, string> { ["roleId"] = role.Id });
        }
    }

    public async Task<IActionResult> OnPostSaveAsync(string? roleId, string? name, string[]? permissions, CancellationToken cancellationToken)
    {
        var result = await admin.SaveRoleAsync(Access, string.IsNullOrEmpty(roleId) ? null : roleId, name, permissions ?? [], Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        if (!result.Succeeded)
        {
            (EditingId, Name, Chosen) = (roleId, name, permissions ?? []);
            return Refused(result.Error!);
        }

        return Done($"Role “{result.Value!.Name}” saved.");
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? roleId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "delete", ("roleId", roleId)) is { } ask)
        {
            return ask;
        }

        var result = await admin.DeleteRoleAsync(Access, roleId ?? string.Empty, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        return result.Succeeded ? Done("Role deleted.") : Refused(result.Error!);
    }
}
