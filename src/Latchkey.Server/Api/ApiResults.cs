using System.Text.Json.Nodes;
using Latchkey.Server.Common;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Api;

/// <summary>JSON API answers: RFC 9457 ProblemDetails with a stable `code` for errors; never cached.</summary>
public static class ApiResults
{
    public static IResult Problem(ServiceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var extensions = new Dictionary<string, object?> { ["code"] = error.Code };
        if (error.Fields is { Count: > 0 })
        {
            extensions["errors"] = error.Fields;
        }

        return Results.Problem(detail: error.Message, statusCode: error.Status, title: Title(error.Status), extensions: extensions);
    }

    public static IResult Problem(int status, string code, string message) => Problem(new ServiceError(status, code, message));

    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK)
        => Results.Content(body.ToJsonString(), "application/json; charset=utf-8", statusCode: status);

    public static IResult From<T>(ServiceResult<T> result, Func<T, JsonNode> map, int status = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(map);
        return result.Succeeded ? Json(map(result.Value!), status) : Problem(result.Error!);
    }

    public static IResult NoContent<T>(ServiceResult<T> result) => result.Succeeded ? Results.NoContent() : Problem(result.Error!);

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Payload too large",
        _ => "Error",
    };
}
