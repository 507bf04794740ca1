using System.Buffers;

namespace Latchkey.Server.Gateway;

/// <summary>
/// Confines a caller's request target to the upstream's base path. The decision is made on the target exactly as the
/// caller sent it (not on the path the server already decoded and normalised), and is an allow-list: after one
/// percent-decoding, every segment must be non-empty, made only of characters that need no encoding in a path, and not
/// made only of dots. So double encoding (`%252e`), encoded dots and slashes (`%2e`, `%2F`, `%5C`), backslashes, dot
/// segments and empty segments (`//`) are all refused, and what is forwarded is those same segments, which no URL
/// parser along the way can re-interpret (RFC 3986 §3.3, §5.2.4; OWASP ASVS 5.0 V1.2/V12.3 path traversal).
/// </summary>
public static class GatewayPath
{
    public const string Prefix = "/v1";

    // RFC 3986 unreserved characters plus ':' '@' (pchar), and '+' ',' '=' from the sub-delims that model ids use.
    private static readonly SearchValues<char> Allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:@+,=");

    /// <summary>The path below /v1 as plain segments joined by '/', or null when the target could leave the base path.</summary>
    public static string? Confine(string rawTarget)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? rawTarget : rawTarget[..query];
        if (!path.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = path[Prefix.Length..];
        if (rest.Length == 0)
        {
            return string.Empty;
        }

        if (rest[0] != '/')
        {
            return null;
        }

        var segments = rest[1..].Split('/');
        var confined = new List<string>(segments.Length);
        for (var i = 0; i < segments.Length; i++)
        {
            // A single trailing slash (`/v1/models/`) is harmless and some clients send it; any other empty segment is not.
            if (segments[i].Length == 0 && i == segments.Length - 1 && i > 0)
            {
                break;
            }

            var segment = Decode(segments[i]);
            if (segment is null || segment.Length == 0 || segment.AsSpan().ContainsAnyExcept(Allowed) || segment.AsSpan().IndexOfAnyExcept('.') < 0)
            {
                return null;
            }

            confined.Add(segment);
        }

        return string.Join('/', confined);
    }

    /// <summary>The query as sent, or empty. It cannot change the path, so it is passed on as it is.</summary>
    public static string QueryOf(string rawTarget)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? string.Empty : rawTarget[query..];
    }

    /// <summary>One strict percent-decoding: a malformed escape is refused, and so is anything decoding outside ASCII.</summary>
    private static string? Decode(string segment)
    {
        if (!segment.Contains('%', StringComparison.Ordinal))
        {
            return segment;
        }

        var chars = new char[segment.Length];
        var n = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] != '%')
            {
                chars[n++] = segment[i];
                continue;
            }

            if (i + 2 >= segment.Length || !char.IsAsciiHexDigit(segment[i + 1]) || !char.IsAsciiHexDigit(segment[i + 2]))
            {
                return null;
            }

            var value = Convert.ToInt32(segment.Substring(i + 1, 2), 16);
            if (value >= 0x80)
            {
                return null;
            }

            chars[n++] = (char)value;
            i += 2;
        }

        return new string(chars, 0, n);
    }
}
