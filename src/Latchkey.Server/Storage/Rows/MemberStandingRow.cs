namespace Latchkey.Server.Storage.Rows;

/// <summary>
/// Who is asking for tokens and where they stand, read in the same query as what they present (a refresh token, an
/// authorization code): the account's e-mail and sign-in methods (the MFA rule), the membership the grant is for, its
/// workspace's policies and a custom role. Membership columns are null when the membership has ended.
/// The columns and joins are <see cref="Repositories.MemberStandingSql"/>.
/// </summary>
public abstract record MemberStandingRow
{
    public required string UserId { get; init; }

    public required string WorkspaceId { get; init; }

    public required string Email { get; init; }

    public long? EmailVerifiedAt { get; init; }

    /// <summary>The account has a password (the MFA rule for local clients, <c>CliMfaRule</c>).</summary>
    public bool HasPassword { get; init; }

    /// <summary>The account has a second factor (an authenticator key or a passkey).</summary>
    public bool HasMfa { get; init; }

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
