using System.Globalization;
using Latchkey.Server.Configuration;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The unclaimed rule (issue 12, docs/server-security.md "Unclaimed sign-ins"). A client may refuse tokens after the
/// exchange without telling the server — codex checks `forced_chatgpt_workspace_id` only once it holds the id_token,
/// and its device flow sends nothing the server could honour beforehand — so a sign-in nobody holds would stay live
/// for the refresh token's whole life. Any use claims a sign-in for good (its access token presented at any bearer
/// endpoint, or its refresh token redeemed); one still unused after <see cref="TokenLifetimeOptions.UnclaimedSignIn"/>
/// is revoked by the cleanup and refused at refresh, whichever comes first.
/// </summary>
public static class UnclaimedSignIns
{
    public const string RevokedReason = "unclaimed";

    /// <summary>True when a grant created at <paramref name="createdAt"/> and never used is past its unclaimed window at <paramref name="now"/>.</summary>
    public static bool IsPastWindow(long createdAt, long now, TokenLifetimeOptions lifetimes)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        return now - createdAt >= (long)lifetimes.UnclaimedSignIn.TotalMilliseconds;
    }

    /// <summary>When an unused grant will be revoked, for the Security page.</summary>
    public static DateTimeOffset EndsAt(long createdAt, TokenLifetimeOptions lifetimes)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        return DateTimeOffset.FromUnixTimeMilliseconds(createdAt) + lifetimes.UnclaimedSignIn;
    }

    public static string RefusalMessage(TokenLifetimeOptions lifetimes)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        var days = lifetimes.UnclaimedSignIn.TotalDays;
        var window = days >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{days:0.#} day{(days == 1 ? string.Empty : "s")}")
            : string.Create(CultureInfo.InvariantCulture, $"{lifetimes.UnclaimedSignIn.TotalMinutes:0} minutes");
        return $"This sign-in was never used within {window}, so it was ended. Sign in again.";
    }
}
