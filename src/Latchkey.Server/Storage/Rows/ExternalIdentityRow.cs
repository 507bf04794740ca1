namespace Latchkey.Server.Storage.Rows;

/// <summary>An upstream identity linked to a Latchkey account, keyed by (issuer, subject) — never by email.</summary>
public sealed record ExternalIdentityRow
{
    public required string Issuer { get; init; }

    public required string Subject { get; init; }

    /// <summary>The configured provider name it came through.</summary>
    public required string Provider { get; init; }

    public required string UserId { get; init; }

    /// <summary>The address the provider gave at the last sign-in; for display only.</summary>
    public string? Email { get; init; }

    public bool EmailVerified { get; init; }

    /// <summary>How the link was made: `created` (new account), `verified_domain`, or `proved_account`.</summary>
    public required string LinkedBy { get; init; }

    public long CreatedAt { get; init; }

    public long? LastUsedAt { get; init; }
}
