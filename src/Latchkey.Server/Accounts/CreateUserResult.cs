namespace Latchkey.Server.Accounts;

/// <summary>Creating an account: the new user's id and personal workspace (when one was made), or an error code and message.</summary>
public sealed record CreateUserResult(string? UserId, string? WorkspaceId, string? ErrorCode, string? Error)
{
    public bool Succeeded => UserId is not null;

    public static CreateUserResult Fail(string code, string message) => new(null, null, code, message);
}
