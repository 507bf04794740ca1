namespace Latchkey.Server.OAuth;

/// <summary>
/// Redirect URI comparison. Exact string match (RFC 9700 §2.1, RFC 6749 §3.1.2.3), with one exception:
/// for http loopback redirects the port may differ, because native apps bind whatever port is free
/// (RFC 8252 §7.3). Scheme, host, path and query must still match exactly.
/// </summary>
public static class RedirectUriMatcher
{
    public static bool IsAllowed(RegisteredClient client, string? requested)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (string.IsNullOrEmpty(requested) || requested.Length > 2048)
        {
            return false;
        }

        foreach (var registered in client.RedirectUris)
        {
            if (string.Equals(registered, requested, StringComparison.Ordinal))
            {
                return true;
            }

            if (IsLoopbackHttp(registered, out var reg) && IsLoopbackHttp(requested, out var req)
                && string.Equals(reg.Host, req.Host, StringComparison.Ordinal)
                && string.Equals(reg.PathAndQuery, req.PathAndQuery, StringComparison.Ordinal)
                && string.IsNullOrEmpty(req.UserInfo) && string.IsNullOrEmpty(req.Fragment)
                && HasCanonicalForm(requested, req))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLoopbackHttp(string uri, out Uri parsed)
    {
        if (Uri.TryCreate(uri, UriKind.Absolute, out parsed!) && parsed.Scheme == Uri.UriSchemeHttp)
        {
            return parsed.Host is "127.0.0.1" or "[::1]" or "localhost";
        }

        return false;
    }

    // Reject forms that System.Uri normalises (e.g. "http://127.0.0.1:80/./auth/callback" or percent-encoded
    // paths): what the browser is sent must be exactly what was compared.
    private static bool HasCanonicalForm(string requested, Uri parsed)
        => string.Equals(requested, $"http://{parsed.Host}:{parsed.Port}{parsed.PathAndQuery}", StringComparison.Ordinal)
           || string.Equals(requested, $"http://{parsed.Host}{parsed.PathAndQuery}", StringComparison.Ordinal);
}
