namespace Latchkey.Server.Storage.Rows;

/// <summary>A workspace API key (`sk-lk-…`). Only its SHA-256 digest is stored.</summary>
public sealed record ApiKeyRow
{
    public required string Id { get; init; }

    public required string KeyHash { get; init; }

    public required string Name { get; init; }

    public required string WorkspaceId { get; init; }

    public required string CreatedBy { get; init; }

    public long CreatedAt { get; init; }

    public long? LastUsedAt { get; init; }

    public long? RevokedAt { get; init; }

    public string? RevokedBy { get; init; }

    /// <summary>The secret as the CLI masks it (TokenFormat.Mask), kept at creation; null for rows older than migration 0011.</summary>
    public string? DisplayMask { get; init; }

    public string? CreatorEmail { get; init; }
}
