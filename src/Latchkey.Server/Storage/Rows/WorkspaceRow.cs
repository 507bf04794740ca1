namespace Latchkey.Server.Storage.Rows;

public sealed record WorkspaceRow
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string PlanType { get; init; }

    public string? PersonalOwnerId { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>"Allow members to use Latchkey locally": CLI sign-in, access-token use and the gateway.</summary>
    public bool LocalAccessEnabled { get; init; } = true;

    public bool DeviceSignInEnabled { get; init; } = true;

    /// <summary>"Allow users to create access tokens", for members as a whole (custom roles can grant it too).</summary>
    public bool MemberAccessTokensEnabled { get; init; }

    /// <summary>The longest access-token lifetime anyone may choose; null = no limit (and "never expires" allowed).</summary>
    public long? AccessTokenMaxDays { get; init; }

    /// <summary>How long this workspace's audit events are kept; null = the server default.</summary>
    public long? AuditRetentionDays { get; init; }

    /// <summary>How long usage records of API-key calls are kept; null = as the audit log.</summary>
    public long? ApiUsageRetentionDays { get; init; }

    /// <summary>"Require phishing-resistant MFA": members' CLI and app sign-ins must have used a passkey.</summary>
    public bool RequirePasskey { get; init; }
}
