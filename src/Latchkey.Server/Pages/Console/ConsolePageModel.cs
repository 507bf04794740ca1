using System.Text.Json;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Html;
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
    private const string SecretKey = "ShownSecret";

    [FromRoute(Name = "workspaceId")]
    public string WorkspaceId { get; set; } = string.Empty;

    public WorkspaceAccess Access { get; private set; } = null!;

    public IReadOnlyList<MembershipRow> Memberships { get; private set; } = [];

    public string? Error { get; protected set; }

    public IReadOnlyDictionary<string, string> FieldErrors { get; protected set; } = new Dictionary<string, string>();

    [TempData]
    public string? Notice { get; set; }

    /// <summary>A secret created by the previous POST, shown on this GET only (see <see cref="ShowOnce"/>).</summary>
    public ShownSecret? Secret { get; private set; }

    /// <summary>The question this GET asks before a destructive action (see <see cref="Unconfirmed"/>).</summary>
    public Confirmation? Confirm { get; protected set; }

    public DateTimeOffset Now { get; private set; }

    /// <summary>The `confirm` query value of a GET that asks before an action, e.g. "revoke".</summary>
    protected string? Asked => HttpMethods.IsGet(Request.Method) ? Request.Query["confirm"].ToString() : null;

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
        Now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (HttpMethods.IsGet(Request.Method) && TempData[SecretKey] is string shown)
        {
            // Reading a TempData value marks it for deletion: the cookie is rewritten without it on this response,
            // so a reload (or the back button) cannot show the secret again.
            Secret = JsonSerializer.Deserialize<ShownSecret>(shown);
            Response.Headers.CacheControl = "no-store";
        }

        Memberships = await services.GetRequiredService<WorkspaceRepository>().ListForUserAsync(access.UserId, HttpContext.RequestAborted);
        await next();
    }

    /// <summary>"3 hours ago" in a `time` element with the exact UTC time.</summary>
    public IHtmlContent When(long? unixMs, string empty = "never") => HumanTime.Format(unixMs, Now, empty);

    /// <summary>
    /// Post/redirect/get for a new secret: it travels in the TempData cookie (data-protected: encrypted and signed,
    /// never in a URL) to the GET that shows it once. Reloading that page neither shows it again nor creates another.
    /// </summary>
    protected RedirectResult ShowOnce(ShownSecret secret, string? notice = null)
    {
        TempData[SecretKey] = JsonSerializer.Serialize(secret);
        Notice = notice;
        return Redirect(Request.Path);
    }

    /// <summary>
    /// Null when the form said `confirm=yes`; otherwise a redirect (nothing changed) to this page's GET that asks
    /// the question, carrying the ids the action needs.
    /// </summary>
    protected RedirectResult? Unconfirmed(string? confirm, string ask, params (string Name, string? Value)[] fields)
        => Confirmation.AskFirst(confirm, Request.Path, ask, fields) is { } url ? Redirect(url) : null;

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
