namespace Latchkey.Server.Storage.Rows;

/// <summary>A WebAuthn ceremony in progress: the options (with their challenge) the browser was given.</summary>
public sealed record WebAuthnChallengeRow
{
    /// <summary>SHA-256 digest of the random value in the browser's ceremony cookie.</summary>
    public required string HandleHash { get; init; }

    /// <summary>What the ceremony is for (<c>register</c>, <c>second_factor</c>, <c>passwordless</c>).</summary>
    public required string Purpose { get; init; }

    /// <summary>Whose ceremony it is; null for a passwordless sign-in, where nobody is known yet.</summary>
    public string? UserId { get; init; }

    /// <summary>The options as JSON, exactly as sent to the browser.</summary>
    public required string Options { get; init; }

    public long CreatedAt { get; init; }

    public long ExpiresAt { get; init; }
}
