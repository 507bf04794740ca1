namespace Latchkey.Server.Storage.Rows;

/// <summary>A live session as one request sees it: the session row's essentials and the user's email, from one indexed lookup.</summary>
public sealed record ValidWebSession
{
    public required string Id { get; init; }

    public required string UserId { get; init; }

    public required string Email { get; init; }

    public long AuthTime { get; init; }

    public required string MfaMethod { get; init; }

    public string? Amr { get; init; }

    public long ExpiresAt { get; init; }

    public long LastSeenAt { get; init; }
}
