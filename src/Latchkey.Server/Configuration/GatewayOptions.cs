namespace Latchkey.Server.Configuration;

/// <summary>
/// The model gateway, set by the operator: which upstreams it forwards to, how much one caller may use it, and which
/// models each workspace may ask for. Upstream keys are injected by the gateway; callers never send or see them.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>Shorthand for one upstream named "default" (e.g. https://api.openai.com/v1). Empty with no <see cref="Upstreams"/>: the gateway answers 503.</summary>
    public string? UpstreamBaseUrl { get; set; }

    /// <summary>The shorthand upstream's own API key, sent as `Authorization: Bearer`.</summary>
    public string? UpstreamApiKey { get; set; }

    /// <summary>Upstreams chosen per request by path prefix, then by the body's `model`, then the one marked default.</summary>
    public IList<GatewayUpstreamOptions> Upstreams { get; init; } = [];

    /// <summary>
    /// Workspace id → the model names (a trailing `*` matches a prefix) its members and keys may use. A workspace not
    /// listed may use every model an upstream serves; a listed one is refused any other model, and any body whose
    /// model the gateway cannot read.
    /// </summary>
    public IDictionary<string, IList<string>> WorkspaceModels { get; init; } = new Dictionary<string, IList<string>>(StringComparer.Ordinal);

    /// <summary>How long to wait for the upstream to accept a connection before answering 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the upstream may stay silent — before its answer starts (then 504) or between two chunks of a streamed
    /// answer (then the stream is cut). A long stream that keeps sending is never cut.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest request body the gateway accepts (413 above it).</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How much of a JSON body the gateway holds to find its top-level `model` before choosing the upstream: the
    /// bound on memory per in-flight request. The rest streams through.
    /// </summary>
    public int ModelPeekBytes { get; set; } = 256 * 1024;

    /// <summary>Requests one credential may have in flight at once (429 above it).</summary>
    public int ConcurrentRequestsPerCaller { get; set; } = 16;

    /// <summary>Requests one credential may start per minute (429 with Retry-After above it).</summary>
    public int RequestsPerMinutePerCaller { get; set; } = 600;
}
