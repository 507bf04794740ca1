namespace Latchkey.Server.Configuration;

/// <summary>The model gateway's upstream, set by the operator. The upstream key is injected by the gateway; callers never see it.</summary>
public sealed class GatewayOptions
{
    /// <summary>E.g. https://api.openai.com/v1. Empty: the gateway answers 503.</summary>
    public string? UpstreamBaseUrl { get; set; }

    /// <summary>The upstream's own API key, sent as `Authorization: Bearer`.</summary>
    public string? UpstreamApiKey { get; set; }

    /// <summary>How long to wait for the upstream to accept a connection before answering 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a whole upstream exchange may take, streaming included, before answering 504 (or cutting the stream).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest request body the gateway accepts (413 above it).</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;
}
