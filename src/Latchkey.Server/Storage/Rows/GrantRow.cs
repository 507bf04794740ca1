namespace Latchkey.Server.Storage.Rows;

/// <summary>One sign-in: the family of refresh tokens (and the access tokens naming it in `sid`).</summary>
public sealed record GrantRow
{
    public required string Id { get; init; }

    public required string UserId { get; init; }

    public required string WorkspaceId { get; init; }

    public required string ClientId { get; init; }

    public required string Scope { get; init; }

    public long AuthTime { get; init; }

    public long CreatedAt { get; init; }

    public long? RevokedAt { get; init; }

    public string? RevokedReason { get; init; }

    /// <summary>RFC 8176 `amr` values of the sign-in, space-separated; null on rows from before they were stored.</summary>
    public string? Amr { get; init; }

    /// <summary>Which program signed in ("Codex CLI on Linux", Web/UserAgentSummary); null on rows from before it was kept.</summary>
    public string? Device { get; init; }
}
