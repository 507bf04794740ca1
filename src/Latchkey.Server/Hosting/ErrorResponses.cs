using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Latchkey.Server.Hosting;

/// <summary>
/// The answer to a request that failed with an exception. A database that cannot be reached is an outage, not a
/// bug: 503 with Retry-After, shaped for the caller (RFC 6749 §5.2 `temporarily_unavailable` on OAuth endpoints,
/// RFC 9457 problem details on the API, a page for browsers). Anything else is a 500 without details.
/// </summary>
public static class ErrorResponses
{
    public const int RetryAfterSeconds = 5;

    public static async Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var response = context.Response;
        var path = context.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? context.Request.Path.Value ?? "";
        response.Headers.CacheControl = "no-store";
        if (error is null || !DbErrors.IsUnavailable(error))
        {
            response.StatusCode = StatusCodes.Status500InternalServerError;
            response.ContentType = "application/json";
            await response.WriteAsync("{\"error\":\"server_error\",\"error_description\":\"An unexpected error occurred.\"}");
            return;
        }

        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (path.StartsWith("/oauth/", StringComparison.Ordinal) || path.StartsWith("/.well-known/", StringComparison.Ordinal) || path.StartsWith("/api/codex", StringComparison.Ordinal))
        {
            response.ContentType = "application/json";
            await response.WriteAsync("{\"error\":\"temporarily_unavailable\",\"error_description\":\"The sign-in service cannot reach its database. Retry shortly.\"}");
        }
        else if (path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            response.ContentType = "application/problem+json";
            await response.WriteAsync("{\"type\":\"about:blank\",\"title\":\"Service unavailable\",\"status\":503,\"detail\":\"The server cannot reach its database. Retry shortly.\",\"code\":\"database_unavailable\"}");
        }
        else
        {
            response.ContentType = "text/html; charset=utf-8";
            await response.WriteAsync(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Temporarily unavailable</title><link rel=\"stylesheet\" href=\"/css/site.css\"></head>" +
                "<body><main><h1>Temporarily unavailable</h1><p>Latchkey cannot reach its database right now. Try again in a few seconds.</p></main></body></html>");
        }
    }
}
