namespace Latchkey.Server.Storage.Rows;

public sealed record UserRow
{
    public required string Id { get; init; }

    public required string Email { get; init; }

    public required string NormalizedEmail { get; init; }

    public required string PasswordHash { get; init; }

    public string? TotpSecretProtected { get; init; }

    public long? TotpEnrolledAt { get; init; }

    public long? LastTotpStep { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>The user turned device sign-in off for themselves (security settings).</summary>
    public bool DeviceSignInDisabled { get; init; }

    /// <summary>When the address was verified (Unix ms), or null: only then is `email_verified` true (OIDC Core §5.1).</summary>
    public long? EmailVerifiedAt { get; init; }

    /// <summary>An account made through single sign-on has no password (the stored hash is empty).</summary>
    public bool HasPassword => PasswordHash.Length > 0;

    /// <summary>When an operator disabled the account (Unix ms), or null. A disabled account cannot sign in.</summary>
    public long? DisabledAt { get; init; }
}
