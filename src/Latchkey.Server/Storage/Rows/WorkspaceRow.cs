namespace Latchkey.Server.Storage.Rows;

public sealed record WorkspaceRow
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string PlanType { get; init; }

    public string? PersonalOwnerId { get; init; }

    public long CreatedAt { get; init; }
}
