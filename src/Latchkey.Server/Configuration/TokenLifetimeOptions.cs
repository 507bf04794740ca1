namespace Latchkey.Server.Configuration;

public sealed class TokenLifetimeOptions
{
    public TimeSpan AccessToken { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan IdToken { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan RefreshToken { get; set; } = TimeSpan.FromDays(30);

    /// <summary>RFC 6749 §4.1.2 recommends at most 10 minutes; one is plenty for a loopback redirect.</summary>
    public TimeSpan AuthorizationCode { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>RFC 8628 device code and user code life.</summary>
    public TimeSpan DeviceCode { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan DevicePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a retry with the immediately previous refresh token is still answered.</summary>
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan SetupLink { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan Session { get; set; } = TimeSpan.FromHours(12);
}
