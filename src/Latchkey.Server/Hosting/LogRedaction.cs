using System.Text.RegularExpressions;

namespace Latchkey.Server.Hosting;

/// <summary>
/// What log lines must never carry, rewritten before any sink sees them: every query-string value (authorization
/// codes, `state`, user codes, setup tokens all travel in queries; the parameter names stay, for diagnosis), the
/// token segment of invitation links, bearer values, and anything shaped like a Latchkey token or a JWT.
/// </summary>
public static partial class LogRedaction
{
    public const string Mask = "[redacted]";

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        text = QueryValue().Replace(text, m => m.Groups["name"].Value + "=" + Mask);
        text = InvitationPath().Replace(text, "/invite/" + Mask);
        text = Bearer().Replace(text, "Bearer " + Mask);
        text = Jwt().Replace(text, Mask);
        return LatchkeyToken().Replace(text, m => m.Groups["prefix"].Value + Mask);
    }

    /// <summary>A value after `?` or `&amp;` in anything URL-like: `?code=abc&amp;state=xyz` → `?code=[redacted]&amp;state=[redacted]`.</summary>
    [GeneratedRegex(@"(?<=[?&])(?<name>[A-Za-z0-9_.\-\[\]%]+)=[^&\s""'#<>]*")]
    private static partial Regex QueryValue();

    [GeneratedRegex(@"/invite/[^/?\s""'#<>]+")]
    private static partial Regex InvitationPath();

    [GeneratedRegex(@"Bearer\s+[^\s""',;]+", RegexOptions.IgnoreCase)]
    private static partial Regex Bearer();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\b(?<prefix>at-|sk-lk-)[A-Za-z0-9]{20,}")]
    private static partial Regex LatchkeyToken();
}
