using System.Text.Json.Nodes;

namespace Latchkey.Server.OAuth;

/// <summary>JSON responses for OAuth endpoints, never cached (RFC 6749 §5.1).</summary>
public static class OAuthResponses
{
    public static IResult Json(JsonObject body, int statusCode = StatusCodes.Status200OK)
        => new NoStoreJsonResult(body, statusCode, null);

    /// <summary>
    /// RFC 6749 §5.2 error body. For JSON (Codex) requests that fail with a Codex refresh code, `error` carries that
    /// code, because the Codex client reads a string `error` as its failure code; form (RFC) requests keep
    /// `error=invalid_grant` and get the Codex code in an extra `code` member.
    /// </summary>
    public static IResult Error(OAuthError error, bool codexDialect = false)
    {
        ArgumentNullException.ThrowIfNull(error);
        var body = new JsonObject
        {
            ["error"] = codexDialect && error.CodexCode is not null ? error.CodexCode : error.Error,
            ["error_description"] = error.Description,
        };
        if (error.CodexCode is not null)
        {
            body["code"] = error.CodexCode;
        }

        var challenge = error.StatusCode == StatusCodes.Status401Unauthorized ? "Basic realm=\"latchkey\"" : null;
        return new NoStoreJsonResult(body, error.StatusCode, challenge);
    }

    private sealed class NoStoreJsonResult(JsonObject body, int statusCode, string? challenge) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = statusCode;
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            if (challenge is not null)
            {
                response.Headers.WWWAuthenticate = challenge;
            }

            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(body.ToJsonString(), httpContext.RequestAborted);
        }
    }
}
