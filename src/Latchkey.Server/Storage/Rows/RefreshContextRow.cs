namespace Latchkey.Server.Storage.Rows;

/// <summary>
/// Everything one refresh needs, read in one query: the presented token, its successor, the grant, the user's e-mail
/// and where the user stands in the grant's workspace (<see cref="MemberStandingRow"/>).
/// </summary>
public sealed record RefreshContextRow : MemberStandingRow
{
    public required string GrantId { get; init; }

    public long ExpiresAt { get; init; }

    public long? ConsumedAt { get; init; }

    public string? ReplacedByHash { get; init; }

    public string? RotatedByIp { get; init; }

    public long? SuccessorConsumedAt { get; init; }

    public long? SuccessorExpiresAt { get; init; }

    public required string ClientId { get; init; }

    public required string Scope { get; init; }

    public long AuthTime { get; init; }

    public string? Amr { get; init; }

    public long GrantCreatedAt { get; init; }

    /// <summary>When any of the grant's tokens was first used; null while the sign-in is unclaimed.</summary>
    public long? GrantFirstUsedAt { get; init; }

    public long? RevokedAt { get; init; }

    public string? RevokedReason { get; init; }

    public GrantRow Grant => new()
    {
        Id = GrantId,
        UserId = UserId,
        WorkspaceId = WorkspaceId,
        ClientId = ClientId,
        Scope = Scope,
        AuthTime = AuthTime,
        Amr = Amr,
        CreatedAt = GrantCreatedAt,
        RevokedAt = RevokedAt,
        RevokedReason = RevokedReason,
    };
}
