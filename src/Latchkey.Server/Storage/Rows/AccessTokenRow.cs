namespace Latchkey.Server.Storage.Rows;

/// <summary>An automation access token (`at-…`). Only its SHA-256 digest is stored.</summary>
public sealed record AccessTokenRow
{
    public required string Id { get; init; }

    public required string TokenHash { get; init; }

    public required string Name { get; init; }

    public required string UserId { get; init; }

    public required string WorkspaceId { get; init; }

    public long CreatedAt { get; init; }

    public long? ExpiresAt { get; init; }

    public long? LastUsedAt { get; init; }

    public string? LastUsedIp { get; init; }

    public long? RevokedAt { get; init; }

    public string? RevokedBy { get; init; }

    public string? RevokedReason { get; init; }

    /// <summary>The token this one replaced when it was made by a rotation.</summary>
    public string? ReplacesId { get; init; }

    /// <summary>The secret as the CLI masks it (TokenFormat.Mask), kept at creation; null for rows older than migration 0011.</summary>
    public string? DisplayMask { get; init; }

    /// <summary>The creator's email (joined in listings).</summary>
    public string? CreatorEmail { get; init; }
}
