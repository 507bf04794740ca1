namespace Latchkey.Server.OAuth;

public static class Scopes
{
    public static readonly IReadOnlyList<string> Supported = ["openid", "profile", "email", "offline_access"];

    public const string Default = "openid profile email offline_access";

    /// <summary>Normalises a space-delimited scope (RFC 6749 §3.3); null when it names an unsupported scope.</summary>
    public static string? Normalize(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return Default;
        }

        var parts = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        return parts.All(p => Supported.Contains(p, StringComparer.Ordinal)) ? string.Join(' ', parts) : null;
    }
}
