namespace Latchkey.Server.Configuration;

/// <summary>Requests per minute per source address.</summary>
public sealed class RateLimitOptions
{
    public int TokenEndpointPerMinute { get; set; } = 300;

    public int SignInPerMinute { get; set; } = 30;

    public int DeviceEntryPerMinute { get; set; } = 30;
}
