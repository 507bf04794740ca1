using Latchkey.Server.Audit;
using Latchkey.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>Sign-out is a POST with antiforgery, so another site cannot sign a user out with a link.</summary>
public sealed class LogoutModel(AuditLog audit) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var userId = SessionClaims.GetUserId(User);
        await HttpContext.SignOutAsync(SessionSchemes.Session);
        await HttpContext.SignOutAsync(SessionSchemes.MfaPending);
        if (userId is not null)
        {
            await audit.WriteAsync(AuditEventTypes.SignedOut, userId, ipAddress: HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken: cancellationToken);
        }

        return Redirect("/account/login?message=signed-out");
    }
}
