namespace Latchkey.Server.Storage.Rows;

/// <summary>An email domain a workspace claimed for single sign-on; it counts only once <see cref="VerifiedAt"/> is set.</summary>
public sealed record SsoDomainRow
{
    public required string Domain { get; init; }

    public required string WorkspaceId { get; init; }

    /// <summary>The configured provider people with this domain are sent to.</summary>
    public required string Provider { get; init; }

    /// <summary>Password sign-in is refused for addresses at this domain.</summary>
    public bool RequireSso { get; init; }

    /// <summary>Role given on first single sign-on (just-in-time membership); null: no automatic membership.</summary>
    public string? JitRole { get; init; }

    public required string CreatedBy { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>When the operator confirmed the workspace owns the domain (`confirm-sso-domain`); null: pending.</summary>
    public long? VerifiedAt { get; init; }
}
