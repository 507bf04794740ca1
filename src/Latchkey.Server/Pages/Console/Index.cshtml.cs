using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Console;

/// <summary>The signed-in user's workspaces, and creating a new one (its creator becomes its owner).</summary>
public sealed class IndexModel(WorkspaceRepository workspaces, WorkspaceAdminService admin) : PageModel
{
    public IReadOnlyList<MembershipRow> Workspaces { get; private set; } = [];

    public string? Error { get; private set; }

    public string? Name { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
        => Workspaces = await workspaces.ListForUserAsync(SessionClaims.GetUserId(User)!, cancellationToken);

    public async Task<IActionResult> OnPostAsync(string? name, CancellationToken cancellationToken)
    {
        var result = await admin.CreateWorkspaceAsync(SessionClaims.GetUserId(User)!, name, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (!result.Succeeded)
        {
            Error = result.Error!.Message;
            Name = name;
            Response.StatusCode = result.Error.Status;
            await OnGetAsync(cancellationToken);
            return Page();
        }

        return Redirect($"/console/{result.Value!.Id}/members");
    }
}
