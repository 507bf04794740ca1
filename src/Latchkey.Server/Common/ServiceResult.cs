namespace Latchkey.Server.Common;

/// <summary>
/// Why a workspace operation was refused. The JSON API turns it into RFC 9457 ProblemDetails with <see cref="Code"/>;
/// the console shows <see cref="Message"/> (and the per-field errors next to their inputs).
/// </summary>
public sealed record ServiceError(int Status, string Code, string Message, IReadOnlyDictionary<string, string>? Fields = null)
{
    /// <summary>Not found, or not visible to this user: the two are indistinguishable on purpose.</summary>
    public static ServiceError NotFound(string what) => new(StatusCodes.Status404NotFound, "not_found", $"{what} was not found.");

    public static ServiceError Forbidden(string message) => new(StatusCodes.Status403Forbidden, "forbidden", message);

    public static ServiceError Invalid(string field, string message)
        => new(StatusCodes.Status400BadRequest, "validation_failed", message, new Dictionary<string, string> { [field] = message });

    public static ServiceError Conflict(string code, string message) => new(StatusCodes.Status409Conflict, code, message);
}

/// <summary>A value or the reason there is none.</summary>
public readonly record struct ServiceResult<T>(T? Value, ServiceError? Error)
{
    public bool Succeeded => Error is null;

    public static implicit operator ServiceResult<T>(ServiceError error) => new(default, error);
}

public static class ServiceResult
{
    public static ServiceResult<T> Ok<T>(T value) => new(value, null);
}
