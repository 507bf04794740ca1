using System.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Latchkey.Server.Gateway;

/// <summary>
/// Builds the upstream request from scratch instead of copying the caller's: the confined path under the upstream's
/// base, the caller's query, only the headers the operator allows, and the credential and billing headers from
/// configuration. So a caller can never pick the key, the organisation or project billed, or pose as another client
/// address (`Forwarded`, `X-Forwarded-*`, `X-Real-IP` are never sent).
/// </summary>
public sealed class UpstreamRequestTransformer(GatewayUpstream upstream, string path, string query, string workspaceId) : HttpTransformer
{
    // What an upstream may not set on Latchkey's origin or learn the client by: cookies (a cookie on the sign-in
    // server's host), transport pinning meant for the upstream's host, and the operator's organisation and project.
    private static readonly string[] DroppedResponseHeaders = ["Set-Cookie", "Alt-Svc", "Strict-Transport-Security", "OpenAI-Organization", "OpenAI-Project"];

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(proxyRequest);
        var target = upstream.BaseUrl + (path.Length > 0 ? "/" + path : string.Empty) + query;
        proxyRequest.RequestUri = new Uri(target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        foreach (var (name, values) in httpContext.Request.Headers)
        {
            if (upstream.ForwardHeaders.Contains(name) && !proxyRequest.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                proxyRequest.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        if (proxyRequest.Content is not null && httpContext.Request.ContentLength is { } length)
        {
            proxyRequest.Content.Headers.ContentLength = length;
        }

        var key = upstream.Options.ApiKey;
        if (!string.IsNullOrEmpty(key))
        {
            if (string.Equals(upstream.Options.ApiKeyHeader, "api-key", StringComparison.OrdinalIgnoreCase))
            {
                proxyRequest.Headers.TryAddWithoutValidation("api-key", key);
            }
            else
            {
                proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        }

        var (organization, project) = upstream.BillingFor(workspaceId);
        if (!string.IsNullOrEmpty(organization))
        {
            proxyRequest.Headers.TryAddWithoutValidation("OpenAI-Organization", organization);
        }

        if (!string.IsNullOrEmpty(project))
        {
            proxyRequest.Headers.TryAddWithoutValidation("OpenAI-Project", project);
        }

        return ValueTask.CompletedTask;
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        foreach (var name in DroppedResponseHeaders)
        {
            httpContext.Response.Headers.Remove(name);
        }

        return copyBody;
    }
}
