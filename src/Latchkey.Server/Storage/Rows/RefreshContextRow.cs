namespace Latchkey.Server.Storage.Rows;

/// <summary>
/// Everything one refresh needs, read in one query: the presented token, its successor, the grant, the user's e-mail
/// and the membership the grant is for (null columns when the membership has ended).
/// </summary>
public sealed record RefreshContextRow
{
    public required string GrantId { get; init; }

    public long ExpiresAt { get; init; }

    public long? ConsumedAt { get; init; }

    public string? ReplacedByHash { get; init; }

    public string? RotatedByIp { get; init; }

    public long? SuccessorConsumedAt { get; init; }

    public long? SuccessorExpiresAt { get; init; }

    public required string UserId { get; init; }

    public required string WorkspaceId { get; init; }

    public required string ClientId { get; init; }

    public required string Scope { get; init; }

    public long AuthTime { get; init; }

    public string? Amr { get; init; }

    /// <summary>The account has a password (the MFA rule for local clients, <c>CliMfaRule</c>).</summary>
    public bool HasPassword { get; init; }

    /// <summary>The account has a second factor (an authenticator key or a passkey).</summary>
    public bool HasMfa { get; init; }

    public long GrantCreatedAt { get; init; }

    /// <summary>When any of the grant's tokens was first used; null while the sign-in is unclaimed.</summary>
    public long? GrantFirstUsedAt { get; init; }

    public long? RevokedAt { get; init; }

    public string? RevokedReason { get; init; }

    public required string Email { get; init; }

    public long? EmailVerifiedAt { get; init; }

    public string? Role { get; init; }

    public string? WorkspaceName { get; init; }

    public string? PlanType { get; init; }

    public string? PersonalOwnerId { get; init; }

    public long WorkspaceCreatedAt { get; init; }

    public bool LocalAccessEnabled { get; init; }

    public bool DeviceSignInEnabled { get; init; }

    public bool MemberAccessTokensEnabled { get; init; }

    public long? AccessTokenMaxDays { get; init; }

    public long? AuditRetentionDays { get; init; }

    public long? ApiUsageRetentionDays { get; init; }

    public bool RequirePasskey { get; init; }

    public string? CustomRoleId { get; init; }

    public string? CustomRoleName { get; init; }

    public string? CustomRolePermissions { get; init; }

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

    /// <summary>The workspace, or null when the user is no longer a member of it.</summary>
    public WorkspaceRow? Workspace => Role is null || WorkspaceName is null || PlanType is null ? null : new()
    {
        Id = WorkspaceId,
        Name = WorkspaceName,
        PlanType = PlanType,
        PersonalOwnerId = PersonalOwnerId,
        CreatedAt = WorkspaceCreatedAt,
        LocalAccessEnabled = LocalAccessEnabled,
        DeviceSignInEnabled = DeviceSignInEnabled,
        MemberAccessTokensEnabled = MemberAccessTokensEnabled,
        AccessTokenMaxDays = AccessTokenMaxDays,
        AuditRetentionDays = AuditRetentionDays,
        ApiUsageRetentionDays = ApiUsageRetentionDays,
        RequirePasskey = RequirePasskey,
    };

    public CustomRoleRow? CustomRole => CustomRoleId is null || CustomRoleName is null || CustomRolePermissions is null ? null : new()
    {
        Id = CustomRoleId,
        WorkspaceId = WorkspaceId,
        Name = CustomRoleName,
        Permissions = CustomRolePermissions,
    };
}
