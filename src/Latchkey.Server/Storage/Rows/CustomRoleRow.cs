namespace Latchkey.Server.Storage.Rows;

public sealed record CustomRoleRow
{
    public required string Id { get; init; }

    public required string WorkspaceId { get; init; }

    public required string Name { get; init; }

    /// <summary>Space-separated permission names (see Workspaces.Permissions).</summary>
    public required string Permissions { get; init; }

    public long CreatedAt { get; init; }

    public IReadOnlyList<string> PermissionList => Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
