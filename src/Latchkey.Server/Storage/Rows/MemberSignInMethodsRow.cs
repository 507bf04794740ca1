namespace Latchkey.Server.Storage.Rows;

/// <summary>One member and the sign-in methods their account has (the console's "Sign-in methods" table).</summary>
public sealed record MemberSignInMethodsRow
{
    public required string UserId { get; init; }

    public required string Email { get; init; }

    public required string Role { get; init; }

    public bool HasPassword { get; init; }

    public bool HasTotp { get; init; }

    public long Passkeys { get; init; }

    /// <summary>How many other workspaces the person belongs to, their own personal workspace aside.</summary>
    public long OtherWorkspaces { get; init; }

    /// <summary>A provider linked to the account (the first by name), or null when none is.</summary>
    public string? Providers { get; init; }
}
