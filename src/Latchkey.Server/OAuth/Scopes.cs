namespace Latchkey.Server.OAuth;

public static class Scopes
{
    public static readonly IReadOnlyList<string> Supported = ["openid", "profile", "email", "offline_access"];

    public const string Default = "openid profile email offline_access";

    /// <summary>
    /// Scopes the Codex CLI always asks for in its browser sign-in (app-server and TUI, codex 0.169.0) that name
    /// OpenAI's own connector APIs. Latchkey has no such API, so it grants nothing for them: RFC 6749 §3.3 lets the
    /// server "fully or partially ignore the scope requested", and the token response's `scope` then names what was
    /// actually granted.
    /// </summary>
    public static readonly IReadOnlyList<string> CodexIgnored = ["api.connectors.read", "api.connectors.invoke"];

    /// <summary>Normalises a space-delimited scope (RFC 6749 §3.3); null when it names an unsupported scope.</summary>
    public static string? Normalize(string? requested) => Normalize(requested, []);

    /// <summary>
    /// Normalises a space-delimited scope (RFC 6749 §3.3), dropping the scopes this client may ask for but is
    /// granted nothing for. Null when a scope is neither supported nor ignorable, or when nothing supported is left
    /// (granting the default set then would grant more than was asked).
    /// </summary>
    public static string? Normalize(string? requested, IReadOnlyCollection<string> ignorable)
    {
        ArgumentNullException.ThrowIfNull(ignorable);
        if (string.IsNullOrWhiteSpace(requested))
        {
            return Default;
        }

        var parts = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (!parts.All(p => Supported.Contains(p, StringComparer.Ordinal) || ignorable.Contains(p, StringComparer.Ordinal)))
        {
            return null;
        }

        var granted = parts.Where(p => Supported.Contains(p, StringComparer.Ordinal)).ToList();
        return granted.Count == 0 ? null : string.Join(' ', granted);
    }
}
