namespace Latchkey.Server.Configuration;

public sealed class TokenLifetimeOptions
{
    public TimeSpan AccessToken { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan IdToken { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan RefreshToken { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a sign-in (browser or device) may stay unused before it is revoked as unclaimed: a client that
    /// refused its tokens (codex pinned to another workspace checks only after the exchange) drops them without
    /// telling the server. Any use claims the sign-in for good: its access token presented anywhere, or a refresh.
    /// A week, so an honest person who signs in on Friday and starts work on Monday keeps the sign-in.
    /// </summary>
    public TimeSpan UnclaimedSignIn { get; set; } = TimeSpan.FromDays(7);

    /// <summary>RFC 6749 §4.1.2 recommends at most 10 minutes; one is plenty for a loopback redirect.</summary>
    public TimeSpan AuthorizationCode { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>RFC 8628 device code and user code life.</summary>
    public TimeSpan DeviceCode { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan DevicePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after a rotation a retry of the rotated token (same client, same address, successor unused) is still
    /// answered with the same successor. Anchored at the rotation; never renewed. It must outlast a client's request
    /// timeout plus one retry (the CLI waits 20 s) and a server restart or failover (13–45 s measured): 60 s.
    /// </summary>
    public TimeSpan RefreshRetryWindow { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan SetupLink { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan Session { get; set; } = TimeSpan.FromHours(12);
}
