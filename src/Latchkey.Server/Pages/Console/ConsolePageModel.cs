using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Console;

/// <summary>
/// Base of every /console/{workspaceId}/… page. Before any handler runs it resolves the signed-in user's access to
/// the workspace from the route; a non-member, or a member without <see cref="RequiredPermission"/>, gets 404 —
/// the same answer as a workspace that does not exist. Actions are checked again by the services.
/// </summary>
public abstract class ConsolePageModel : PageModel
{
    [FromRoute(Name = "workspaceId")]
    public string WorkspaceId { get; set; } = string.Empty;

    public WorkspaceAccess Access { get; private set; } = null!;

    public IReadOnlyList<MembershipRow> Memberships { get; private set; } = [];

    public string? Error { get; protected set; }

    public IReadOnlyDictionary<string, string> FieldErrors { get; protected set; } = new Dictionary<string, string>();

    [TempData]
    public string? Notice { get; set; }

    /// <summary>Null: any member may open the page.</summary>
    protected virtual string? RequiredPermission => null;

    protected string UserId => SessionClaims.GetUserId(User)!;

    protected string? Ip => HttpContext.Connection.RemoteIpAddress?.ToString();

    public string? FieldError(string field) => FieldErrors.TryGetValue(field, out var e) ? e : null;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var services = HttpContext.RequestServices;
        var access = await services.GetRequiredService<WorkspaceAccessService>().GetAsync(SessionClaims.GetUserId(User), WorkspaceId, HttpContext.RequestAborted);
        if (access is null || (RequiredPermission is { } p && !access.Has(p) && !AlsoAllowed(access)))
        {
            context.Result = NotFound();
            return;
        }

        Access = access;
        Memberships = await services.GetRequiredService<WorkspaceRepository>().ListForUserAsync(access.UserId, HttpContext.RequestAborted);
        await next();
    }

    /// <summary>A page may accept a second permission (the tokens page: create or manage).</summary>
    protected virtual bool AlsoAllowed(WorkspaceAccess access) => false;

    /// <summary>Shows a refused action on the page, with its HTTP status; the caller reloads the page's data first.</summary>
    protected PageResult Refused(ServiceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error.Message;
        FieldErrors = error.Fields ?? new Dictionary<string, string>();
        Response.StatusCode = error.Status;
        return Page();
    }

    protected RedirectResult Done(string notice, string? page = null)
    {
        Notice = notice;
        return Redirect(page ?? Request.Path);
    }
}
