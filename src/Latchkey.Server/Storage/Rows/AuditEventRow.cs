namespace Latchkey.Server.Storage.Rows;

public sealed record AuditEventRow
{
    public long Id { get; init; }

    public long OccurredAt { get; init; }

    public required string EventType { get; init; }

    public string? UserId { get; init; }

    public string? WorkspaceId { get; init; }

    public string? ClientId { get; init; }

    public string? IpAddress { get; init; }

    /// <summary>JSON object with event-specific fields. Never holds a secret.</summary>
    public string? Detail { get; init; }

    /// <summary>The user's email (joined in searches).</summary>
    public string? UserEmail { get; init; }
}
