namespace Latchkey.Server.Storage.Rows;

/// <summary>A workspace as seen by one of its members.</summary>
public sealed record MembershipRow
{
    public required string WorkspaceId { get; init; }

    public required string WorkspaceName { get; init; }

    public required string PlanType { get; init; }

    public required string Role { get; init; }
}
