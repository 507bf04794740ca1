using Latchkey.Protocol.OAuth;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.OAuth;

/// <summary>
/// The authorization endpoint (RFC 6749 §3.1). GET validates and, once the user is signed in, issues a code;
/// with several eligible workspaces it asks which one, and the POST (antiforgery-checked) re-validates everything.
/// </summary>
public sealed class AuthorizeModel(AuthorizeRequestValidator validator, AuthorizationCodeService codes, WorkspaceRepository workspaces, LocalAccessGate localAccess) : PageModel
{
    public string? Error { get; private set; }

    public string ClientName { get; private set; } = string.Empty;

    public IReadOnlyList<MembershipRow> Workspaces { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => HandleAsync(chosenWorkspace: null, cancellationToken);

    public Task<IActionResult> OnPostAsync([FromForm(Name = "workspace_id")] string? workspaceId, CancellationToken cancellationToken)
        => HandleAsync(workspaceId ?? string.Empty, cancellationToken);

    private async Task<IActionResult> HandleAsync(string? chosenWorkspace, CancellationToken cancellationToken)
    {
        var (parameters, readError) = OAuthRequestReader.FromQuery(Request.Query);
        if (parameters is null)
        {
            return ShowError(readError!.Description);
        }

        var validation = validator.Validate(parameters);
        if (validation.UserFacingError is not null)
        {
            return ShowError(validation.UserFacingError);
        }

        if (validation.RedirectError is not null)
        {
            return Redirect(codes.BuildErrorRedirect(validation.RedirectUri!, validation.State, validation.RedirectError));
        }

        var request = validation.Request!;
        var userId = SessionClaims.GetUserId(User);
        if (User.Identity?.IsAuthenticated != true || userId is null)
        {
            if (request.Prompt?.Split(' ').Contains("none") == true)
            {
                return Redirect(codes.BuildErrorRedirect(request.RedirectUri, request.State, new OAuthError(OAuthErrors.LoginRequired, "The user is not signed in.")));
            }

            return Challenge();
        }

        var eligible = (await workspaces.ListForUserAsync(userId, cancellationToken))
            .Where(w => request.AllowedWorkspaceIds.Count == 0 || request.AllowedWorkspaceIds.Contains(w.WorkspaceId, StringComparer.Ordinal))
            .ToList();
        if (eligible.Count == 0)
        {
            var description = request.AllowedWorkspaceIds.Count > 0
                ? $"Your account is not a member of the allowed workspace(s) {string.Join(", ", request.AllowedWorkspaceIds)}."
                : "Your account is not a member of any workspace yet. Open an invitation link from a workspace admin, or create a workspace in the console (/console).";
            return Redirect(codes.BuildErrorRedirect(request.RedirectUri, request.State, new OAuthError(OAuthErrors.AccessDenied, description)));
        }

        MembershipRow? chosen = eligible.Count == 1 && chosenWorkspace is null ? eligible[0] : null;
        if (chosenWorkspace is not null)
        {
            chosen = eligible.FirstOrDefault(w => w.WorkspaceId == chosenWorkspace);
        }

        if (chosen is null)
        {
            ClientName = request.Client.DisplayName;
            Workspaces = eligible;
            if (chosenWorkspace is not null)
            {
                Response.StatusCode = StatusCodes.Status400BadRequest;
            }

            return Page();
        }

        // The workspace's local-access policy, told to the CLI through the redirect so it can print it.
        if (request.Client.IsLocal
            && await localAccess.CheckAsync(userId, chosen.WorkspaceId, request.Client.ClientId, HttpContext.Connection.RemoteIpAddress?.ToString(), "authorize", SessionClaims.GetAmr(User), cancellationToken) is { } denied)
        {
            return Redirect(codes.BuildErrorRedirect(request.RedirectUri, request.State, new OAuthError(OAuthErrors.AccessDenied, denied.Message)));
        }

        return Redirect(await codes.IssueAsync(request, userId, chosen.WorkspaceId, SessionClaims.GetAuthTime(User), SessionClaims.GetAmr(User), cancellationToken));
    }

    private PageResult ShowError(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
