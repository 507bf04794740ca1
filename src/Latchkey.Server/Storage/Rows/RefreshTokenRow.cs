namespace Latchkey.Server.Storage.Rows;

public sealed record RefreshTokenRow
{
    public required string TokenHash { get; init; }

    public required string GrantId { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public long? ConsumedAt { get; init; }

    public string? ReplacedByHash { get; init; }
}
