namespace Latchkey.Server.Storage.Rows;

/// <summary>
/// Everything a code exchange needs, read in one query: the authorization code and where its user stands in the
/// code's workspace (<see cref="MemberStandingRow"/>).
/// </summary>
public sealed record CodeExchangeContextRow : MemberStandingRow
{
    public required string ClientId { get; init; }

    public required string RedirectUri { get; init; }

    public required string CodeChallenge { get; init; }

    public required string Scope { get; init; }

    public string? Nonce { get; init; }

    public long AuthTime { get; init; }

    public long ExpiresAt { get; init; }

    public long? ConsumedAt { get; init; }

    /// <summary>The grant made from the code once it is used (null when its exchange was refused).</summary>
    public string? GrantId { get; init; }

    /// <summary>RFC 8176 `amr` values of the sign-in, space-separated; null on rows from before they were stored.</summary>
    public string? Amr { get; init; }
}
