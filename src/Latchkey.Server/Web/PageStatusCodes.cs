using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Web;

/// <summary>
/// Status-code pages (a readable page for an empty 4xx) are for people on pages only. An API, OAuth or Codex answer is
/// left exactly as the endpoint wrote it: re-executing it through a Razor page turned an empty 401 from POST
/// /oauth/userinfo into the page's anti-forgery 400 and lost the RFC 6750 §3.1 `WWW-Authenticate` challenge.
/// Runs after routing, so it knows which endpoint answered; an unmatched URL gets the page only when a browser asks for HTML.
/// </summary>
public sealed class PageStatusCodes(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<IStatusCodePagesFeature>() is { } feature && !IsPageRequest(context))
        {
            feature.Enabled = false;
        }

        return next(context);
    }

    private static bool IsPageRequest(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        return endpoint is null
            ? context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
            : endpoint.Metadata.GetMetadata<PageActionDescriptor>() is not null;
    }
}
