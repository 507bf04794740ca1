using System.Text.Json.Nodes;

namespace Latchkey.Server.Web;

/// <summary>Writes a 4xx for a request refused before its endpoint ran, in the endpoint's <see cref="ClientErrorFormat"/>.</summary>
public static class ClientErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string message, bool closeConnection = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.Clear();
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        if (closeConnection)
        {
            // What is left of the request body is not read, so the connection cannot carry another request.
            response.Headers.Connection = "close";
        }
        var format = context.GetEndpoint()?.Metadata.GetMetadata<ClientErrorFormat>();
        string body;
        if (format == ClientErrorFormat.OAuth)
        {
            response.ContentType = "application/json; charset=utf-8";
            body = new JsonObject { ["error"] = "invalid_request", ["error_description"] = message }.ToJsonString();
        }
        else if (format == ClientErrorFormat.Problem)
        {
            response.ContentType = "application/problem+json; charset=utf-8";
            body = new JsonObject { ["title"] = Title(status), ["status"] = status, ["detail"] = message, ["code"] = code }.ToJsonString();
        }
        else
        {
            response.ContentType = "text/plain; charset=utf-8";
            body = message;
        }

        await response.WriteAsync(body, context.RequestAborted);
    }

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status408RequestTimeout => "Request timeout",
        StatusCodes.Status413PayloadTooLarge => "Payload too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "Request header fields too large",
        _ => "Error",
    };
}
