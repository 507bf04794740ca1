namespace Latchkey.Server.Storage.Rows;

public sealed record DeviceCodeRow
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Consumed = "consumed";

    public required string DeviceCodeHash { get; init; }

    public required string UserCodeHash { get; init; }

    public required string ClientId { get; init; }

    public required string Scope { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public long IntervalSeconds { get; init; }

    public long? LastPolledAt { get; init; }

    public required string Status { get; init; }

    public string? UserId { get; init; }

    public string? WorkspaceId { get; init; }

    public long? AuthTime { get; init; }

    public long? DecidedAt { get; init; }

    public string? GrantId { get; init; }

    /// <summary>RFC 8176 `amr` values of the sign-in, space-separated; null on rows from before they were stored.</summary>
    public string? Amr { get; init; }
}
