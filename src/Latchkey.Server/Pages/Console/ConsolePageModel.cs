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
/// the workspace from the route and asks the decision table (<see cref="AccessRules"/>) for the page's
/// <see cref="RequiredAction"/>: a non-member, or a member the table hides it from, gets 404 — the same answer as a
/// workspace that does not exist. Each action is decided again, with its target, by the services.
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

    /// <summary>What opening the page amounts to; null: any member may open it.</summary>
    protected virtual WorkspaceAction? RequiredAction => null;

    protected string UserId => SessionClaims.GetUserId(User)!;

    protected string? Ip => HttpContext.Connection.RemoteIpAddress?.ToString();

    public string? FieldError(string field) => FieldErrors.TryGetValue(field, out var e) ? e : null;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var services = HttpContext.RequestServices;
        var access = await services.GetRequiredService<WorkspaceAccessService>().GetAsync(SessionClaims.GetUserId(User), WorkspaceId, HttpContext.RequestAborted);
        if (access is null || (RequiredAction is { } action && !access.May(action)))
        {
            context.Result = NotFound();
            return;
        }

        Access = access;
        Memberships = await services.GetRequiredService<WorkspaceRepository>().ListForUserAsync(access.UserId, HttpContext.RequestAborted);
        await next();
    }

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
