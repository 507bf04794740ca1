using System.Text.Json.Nodes;

namespace Latchkey.Server.Gateway;

/// <summary>Errors in the shape OpenAI clients (Codex included) read: `{"error": {"message", "type", "code"}}`.</summary>
public static class GatewayErrors
{
    public static async Task WriteAsync(HttpContext context, GatewayRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(refusal);
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = refusal.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\"";
        }

        if (refusal.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var body = new JsonObject { ["error"] = new JsonObject { ["message"] = refusal.Message, ["type"] = refusal.Code, ["code"] = refusal.Code } };
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
