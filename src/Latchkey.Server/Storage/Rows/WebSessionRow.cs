namespace Latchkey.Server.Storage.Rows;

/// <summary>One browser sign-in. The cookie's secret is stored only as <see cref="TokenHash"/>; <see cref="Id"/> is a public handle.</summary>
public sealed record WebSessionRow
{
    public required string Id { get; init; }

    public required string TokenHash { get; init; }

    public required string UserId { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }

    public long LastSeenAt { get; init; }

    /// <summary>When the user proved both factors (milliseconds), as OIDC `auth_time` reports it.</summary>
    public long AuthTime { get; init; }

    /// <summary>The second factor used: `totp` or `recovery_code`.</summary>
    public required string MfaMethod { get; init; }

    /// <summary>RFC 8176 `amr` values, space-separated (null on sessions from before they were stored).</summary>
    public string? Amr { get; init; }

    /// <summary>A short "Browser on OS" summary of the User-Agent, never the raw header.</summary>
    public string? Device { get; init; }

    /// <summary>The address the session was last seen from.</summary>
    public string? IpAddress { get; init; }

    public long? EndedAt { get; init; }

    public string? EndedReason { get; init; }
}
