using Latchkey.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Gateway;

/// <summary>
/// Chooses the upstream for a request: an upstream that claims the path (segment prefix) first, then one that serves
/// the body's model, then the default. Also answers whether a workspace may use a model.
/// </summary>
public sealed class UpstreamRouter : IDisposable
{
    private readonly List<GatewayUpstream> upstreams;
    private readonly GatewayUpstream? fallback;
    private readonly GatewayOptions gateway;

    public UpstreamRouter(IOptions<LatchkeyServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        gateway = options.Value.Gateway;
        upstreams = GatewayOptionsValidation.EffectiveUpstreams(gateway).Select(u => new GatewayUpstream(u, gateway.ConnectTimeout)).ToList();
        fallback = upstreams.FirstOrDefault(u => u.Options.Default);
    }

    public bool IsConfigured => upstreams.Count > 0;

    /// <summary>Whether the choice depends on the model (so an unreadable model cannot be routed by default).</summary>
    public bool RoutesByModel => upstreams.Any(u => u.Options.Models.Count > 0);

    public GatewayUpstream? PathOwner(string path) =>
        upstreams.Where(u => u.Options.PathPrefixes.Any(p => IsUnder(path, p.Trim('/'))))
            .MaxBy(u => u.Options.PathPrefixes.Where(p => IsUnder(path, p.Trim('/'))).Max(p => p.Length));

    public GatewayUpstream? Choose(string path, string? model) =>
        PathOwner(path) ?? (model is null ? null : upstreams.FirstOrDefault(u => u.Options.Models.Any(m => Matches(m, model)))) ?? fallback;

    /// <summary>Null when the workspace has no model list; otherwise whether the list allows this model.</summary>
    public bool? WorkspaceAllows(string workspaceId, string? model) =>
        gateway.WorkspaceModels.TryGetValue(workspaceId, out var allowed) ? model is not null && allowed.Any(m => Matches(m, model)) : null;

    public static bool Matches(string pattern, string model)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(model);
        return pattern.EndsWith('*')
            ? model.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : string.Equals(pattern, model, StringComparison.Ordinal);
    }

    private static bool IsUnder(string path, string prefix) =>
        prefix.Length > 0 && path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/');

    public void Dispose()
    {
        foreach (var upstream in upstreams)
        {
            upstream.Dispose();
        }
    }
}
