namespace Latchkey.Client;

/// <summary>
/// A Latchkey server's base URL as people type it. Checked before any network call, so a typo gets one line that says
/// what is wrong with it, not a stack trace from deep in the HTTP stack.
/// </summary>
internal static class ServerUrl
{
    /// <summary>The URL without surrounding spaces or trailing slashes; or false and the problem in one sentence.</summary>
    public static bool TryNormalize(string? raw, out string normalized, out string problem)
    {
        normalized = string.Empty;
        problem = string.Empty;
        var text = raw?.Trim().TrimEnd('/') ?? string.Empty;
        if (text.Length == 0)
        {
            problem = "is empty";
            return false;
        }

        if (!text.Contains("://", StringComparison.Ordinal))
        {
            problem = $"'{text}' has no scheme: did you mean http://{text} or https://{text}?";
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            problem = $"'{text}' is not a valid URL (check the host name and that the port is between 1 and 65535)";
            return false;
        }

        if (uri.Scheme is not ("http" or "https"))
        {
            problem = $"'{text}' must start with http:// or https:// (got {uri.Scheme}://)";
            return false;
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            problem = $"'{SafeForDisplay(uri)}' must be a plain base URL: no user name, password, query or fragment";
            return false;
        }

        normalized = text;
        return true;
    }

    // A URL with credentials in it is shown without them.
    private static string SafeForDisplay(Uri uri) => uri.UserInfo.Length > 0 ? uri.GetLeftPart(UriPartial.Scheme) + "***@" + uri.Authority + uri.AbsolutePath : uri.GetLeftPart(UriPartial.Path);
}
