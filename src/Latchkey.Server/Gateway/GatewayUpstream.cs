using Latchkey.Server.Configuration;

namespace Latchkey.Server.Gateway;

/// <summary>One configured upstream, ready to forward to: its base URL, its connection pool, and its header rules.</summary>
public sealed class GatewayUpstream : IDisposable
{
    public GatewayUpstream(GatewayUpstreamOptions options, TimeSpan connectTimeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        BaseUrl = options.BaseUrl.TrimEnd('/');
        ForwardHeaders = (options.ForwardHeaders.Count > 0 ? (IEnumerable<string>)options.ForwardHeaders : GatewayUpstreamOptions.DefaultForwardHeaders)
            .Where(h => !GatewayOptionsValidation.NeverForwarded.Contains(h))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Its own pool per upstream: HTTP/2 when the upstream offers it (ALPN over TLS), several HTTP/2 connections
        // when one fills, HTTP/1.1 keep-alive otherwise; nothing the proxy does not own (cookies, redirects,
        // decompression, an ambient proxy's credentials).
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ActivityHeadersPropagator = null,
        }, disposeHandler: true);
    }

    public GatewayUpstreamOptions Options { get; }

    public string Name => Options.Name;

    public string BaseUrl { get; }

    public IReadOnlySet<string> ForwardHeaders { get; }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>Organisation and project billed for this workspace's requests: the workspace's own, else the upstream's.</summary>
    public (string? Organization, string? Project) BillingFor(string workspaceId)
    {
        var own = Options.Workspaces.TryGetValue(workspaceId, out var b) ? b : null;
        return (own?.Organization ?? Options.Organization, own?.Project ?? Options.Project);
    }

    public void Dispose() => Invoker.Dispose();
}
