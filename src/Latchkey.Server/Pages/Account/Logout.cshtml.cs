using Latchkey.Server.Audit;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Sign-out is a POST with antiforgery, so another site cannot sign a user out with a link. It ends the server-side
/// session, so a copy of the cookie taken before is refused afterwards (ASVS 5.0 §7.4.1).
/// </summary>
public sealed class LogoutModel(WebSessions sessions, AuditLog audit) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var userId = SessionClaims.GetUserId(User);
        await sessions.SignOutAsync(HttpContext, cancellationToken);
        if (userId is not null)
        {
            await audit.WriteAsync(AuditEventTypes.SignedOut, userId, ipAddress: HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken: cancellationToken);
        }

        return Redirect("/account/login?message=signed-out");
    }
}
