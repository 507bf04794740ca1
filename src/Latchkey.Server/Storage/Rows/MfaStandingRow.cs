namespace Latchkey.Server.Storage.Rows;

/// <summary>Which sign-in methods an account has, read in one query (the MFA rule and the console need it).</summary>
public sealed record MfaStandingRow
{
    public bool HasPassword { get; init; }

    public bool HasTotp { get; init; }

    public long Passkeys { get; init; }

    public long ExternalIdentities { get; init; }

    public bool HasMfa => HasTotp || Passkeys > 0;
}
