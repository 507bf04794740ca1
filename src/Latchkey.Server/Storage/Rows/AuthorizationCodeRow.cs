namespace Latchkey.Server.Storage.Rows;

public sealed record AuthorizationCodeRow
{
    public required string CodeHash { get; init; }

    public required string ClientId { get; init; }

    public required string UserId { get; init; }

    public required string WorkspaceId { get; init; }

    public required string RedirectUri { get; init; }

    public required string CodeChallenge { get; init; }

    public required string Scope { get; init; }

    public string? Nonce { get; init; }

    public long AuthTime { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public long? ConsumedAt { get; init; }

    public string? GrantId { get; init; }

    /// <summary>RFC 8176 `amr` values of the sign-in, space-separated; null on rows from before they were stored.</summary>
    public string? Amr { get; init; }
}
