namespace Latchkey.Server.Storage.Rows;

/// <summary>
/// A presented credential joined in one query with everything a request needs to know about its caller: the
/// credential's state, the user, their membership and custom role in the credential's workspace, and the workspace.
/// Membership columns are null when the user is no longer a member.
/// </summary>
public sealed record CallerRow
{
    /// <summary>The grant id (sign-in token), access-token id or API-key id.</summary>
    public required string CredentialId { get; init; }

    public required string CredentialWorkspaceId { get; init; }

    public string? UserId { get; init; }

    public string? Email { get; init; }

    public long? EmailVerifiedAt { get; init; }

    /// <summary>The grant's client (sign-in tokens only).</summary>
    public string? ClientId { get; init; }

    public long? ExpiresAt { get; init; }

    public long? RevokedAt { get; init; }

    public long? LastUsedAt { get; init; }

    /// <summary>Sign-in tokens: when any of the grant's tokens was first used (null while unclaimed).</summary>
    public long? FirstUsedAt { get; init; }

    public string? Role { get; init; }

    public string? CustomRoleId { get; init; }

    public string? CustomRoleName { get; init; }

    public string? CustomRolePermissions { get; init; }

    /// <summary>Null when the user is no longer a member (or the workspace is gone).</summary>
    public WorkspaceRow? Workspace { get; init; }
}
