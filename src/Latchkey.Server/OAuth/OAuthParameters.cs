namespace Latchkey.Server.OAuth;

/// <summary>The parameters of one OAuth request, each present at most once.</summary>
public sealed class OAuthParameters(IReadOnlyDictionary<string, string> values, bool isJson)
{
    public bool IsJson { get; } = isJson;

    /// <summary>A value, or null when absent. Empty values count as absent (RFC 6749 §3.1).</summary>
    public string? this[string name] => values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public IEnumerable<string> Names => values.Keys;
}
