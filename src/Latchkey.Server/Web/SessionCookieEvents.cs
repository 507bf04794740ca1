using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Latchkey.Server.Web;

/// <summary>
/// Checks the session cookie against its server-side record on every request that carries it (one indexed lookup):
/// an ended, expired or unknown session is signed out, so a cookie copied before logout opens nothing (ASVS 5.0 §7.4.1).
/// </summary>
public sealed class SessionCookieEvents(WebSessions sessions) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var secret = context.Principal?.FindFirst(SessionClaims.SessionSecret)?.Value;
        var principal = await sessions.ValidateAsync(secret, context.HttpContext, context.HttpContext.RequestAborted);
        if (principal is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }

        context.ReplacePrincipal(principal);
    }
}
