namespace Latchkey.Server.Configuration;

/// <summary>The gateway's settings, checked at start-up: a gateway that could send a key where the operator did not mean it never starts.</summary>
public static class GatewayOptionsValidation
{
    /// <summary>
    /// Headers no operator can let callers set: the upstream credential, who is billed, where the request came from,
    /// and the framing the proxy owns (RFC 9110 §7.6.1 hop-by-hop fields).
    /// </summary>
    public static IReadOnlySet<string> NeverForwarded { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "api-key", "Cookie", "OpenAI-Organization", "OpenAI-Project", "Forwarded", "X-Forwarded-For",
        "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP", "Host", "Connection", "Keep-Alive", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Content-Length", "Content-Encoding", "chatgpt-account-id",
    };

    /// <summary>The upstreams the options describe: the `UpstreamBaseUrl` shorthand becomes one named "default".</summary>
    public static IReadOnlyList<GatewayUpstreamOptions> EffectiveUpstreams(GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var upstreams = new List<GatewayUpstreamOptions>(gateway.Upstreams);
        if (!string.IsNullOrWhiteSpace(gateway.UpstreamBaseUrl))
        {
            upstreams.Add(new GatewayUpstreamOptions { Name = "default", BaseUrl = gateway.UpstreamBaseUrl, ApiKey = gateway.UpstreamApiKey, Default = gateway.Upstreams.All(u => !u.Default) });
        }

        return upstreams;
    }

    public static void Validate(GatewayOptions gateway, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(errors);
        var upstreams = EffectiveUpstreams(gateway);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var upstream in upstreams)
        {
            var label = $"Latchkey:Gateway upstream '{upstream.Name}'";
            if (string.IsNullOrWhiteSpace(upstream.Name) || !names.Add(upstream.Name))
            {
                errors.Add($"Every Latchkey:Gateway:Upstreams entry needs a unique Name (got '{upstream.Name}').");
            }

            if (!Uri.TryCreate(upstream.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || !string.IsNullOrEmpty(url.UserInfo)
                || url.AbsolutePath.Contains('%', StringComparison.Ordinal) || url.AbsolutePath.Contains("//", StringComparison.Ordinal))
            {
                errors.Add($"{label}: BaseUrl must be an absolute http(s) URL with a plain path and no query, fragment or user info (got '{upstream.BaseUrl}').");
            }

            if (!string.Equals(upstream.ApiKeyHeader, "Authorization", StringComparison.OrdinalIgnoreCase) && !string.Equals(upstream.ApiKeyHeader, "api-key", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{label}: ApiKeyHeader must be 'Authorization' or 'api-key' (got '{upstream.ApiKeyHeader}').");
            }

            foreach (var header in upstream.ForwardHeaders.Where(NeverForwarded.Contains))
            {
                errors.Add($"{label}: ForwardHeaders may not list '{header}': credentials, billing, forwarding and framing headers are set by the gateway only.");
            }

            foreach (var prefix in upstream.PathPrefixes.Where(p => string.IsNullOrWhiteSpace(p) || p.Contains('%', StringComparison.Ordinal) || p.Contains("..", StringComparison.Ordinal) || p.Contains('\\', StringComparison.Ordinal)))
            {
                errors.Add($"{label}: PathPrefixes entry '{prefix}' must be a plain path under /v1.");
            }
        }

        if (upstreams.Count(u => u.Default) > 1)
        {
            errors.Add("At most one Latchkey:Gateway upstream may be the Default.");
        }

        if (gateway.MaxRequestBytes <= 0 || gateway.ModelPeekBytes < 1024 || gateway.ConcurrentRequestsPerCaller < 1 || gateway.RequestsPerMinutePerCaller < 1
            || gateway.RequestTimeout <= TimeSpan.Zero || gateway.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("Latchkey:Gateway limits must be positive (ModelPeekBytes at least 1024).");
        }
    }
}
