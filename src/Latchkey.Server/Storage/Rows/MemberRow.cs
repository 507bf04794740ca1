namespace Latchkey.Server.Storage.Rows;

/// <summary>A member as the workspace's administrators see them.</summary>
public sealed record MemberRow
{
    public required string UserId { get; init; }

    public required string Email { get; init; }

    public required string Role { get; init; }

    public long CreatedAt { get; init; }
}
