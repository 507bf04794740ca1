namespace Latchkey.Server.Storage.Rows;

public sealed record InvitationRow
{
    public required string Id { get; init; }

    public required string TokenHash { get; init; }

    public required string WorkspaceId { get; init; }

    /// <summary>When set, only an account with this (normalized) email may accept.</summary>
    public string? Email { get; init; }

    public required string Role { get; init; }

    public required string CreatedBy { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public long? AcceptedAt { get; init; }

    public string? AcceptedBy { get; init; }

    public long? RevokedAt { get; init; }
}
