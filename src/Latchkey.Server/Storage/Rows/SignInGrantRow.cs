namespace Latchkey.Server.Storage.Rows;

/// <summary>A live sign-in (a refresh-token grant) as the Security page lists it, so two sign-ins can be told apart.</summary>
public sealed record SignInGrantRow
{
    public required string Id { get; init; }

    public required string ClientId { get; init; }

    public required string WorkspaceId { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>Which program signed in ("Codex CLI on Linux"); null on sign-ins from before it was kept.</summary>
    public string? Device { get; init; }

    /// <summary>When any of its tokens was first used; null while unclaimed (revoked after Latchkey:Lifetimes:UnclaimedSignIn).</summary>
    public long? FirstUsedAt { get; init; }

    /// <summary>When a refresh token of this grant was last issued: the sign-in's last refresh.</summary>
    public long? LastUsedAt { get; init; }

    /// <summary>The address that signed in, from the `grant.created` audit event while it is retained.</summary>
    public string? IpAddress { get; init; }
}
