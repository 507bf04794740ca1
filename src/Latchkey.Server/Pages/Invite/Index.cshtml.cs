using Latchkey.Server.Accounts;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages.Invite;

/// <summary>
/// An invitation link: a signed-in user accepts it; a newcomer creates an account (password now, authenticator at
/// first sign-in) and comes back here. The link's token is only ever compared by digest.
/// </summary>
[EnableRateLimiting("signin")]
public sealed class InviteModel(WorkspaceAdminService admin, AccountService accounts) : PageModel
{
    [FromRoute(Name = "token")]
    public string Token { get; set; } = string.Empty;

    public InvitationRow? Invitation { get; private set; }

    public WorkspaceRow? Workspace { get; private set; }

    public string? Error { get; private set; }

    public string? Email { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        (Invitation, Workspace) = await admin.FindUsableInvitationAsync(Token, cancellationToken);
        if (Workspace is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAcceptAsync(CancellationToken cancellationToken)
    {
        var userId = SessionClaims.GetUserId(User);
        if (userId is null)
        {
            return Redirect("/account/login?returnUrl=" + Uri.EscapeDataString(Request.Path));
        }

        var result = await admin.AcceptInvitationAsync(Token, userId, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            Error = result.Error!.Message;
            Response.StatusCode = result.Error.Status;
            return Page();
        }

        return Redirect($"/console/{result.Value!.Id}");
    }

    public async Task<IActionResult> OnPostRegisterAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        await OnGetAsync(cancellationToken);
        if (Invitation is null)
        {
            return Page();
        }

        // An invitation for one address cannot be used to register another.
        var created = await accounts.CreateUserAsync(Invitation.Email ?? email, password, cancellationToken);
        if (!created.Succeeded)
        {
            Error = created.ErrorCode == "email_taken" ? "An account with this email already exists. Sign in to accept." : created.Error;
            Email = email;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        return Redirect("/account/login?returnUrl=" + Uri.EscapeDataString(Request.Path));
    }
}
