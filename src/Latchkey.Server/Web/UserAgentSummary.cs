namespace Latchkey.Server.Web;

/// <summary>
/// "Browser on OS" from a User-Agent header, so a person can tell their sign-ins apart without the raw header (which
/// is long, fingerprintable and attacker-chosen) being stored or shown.
/// </summary>
public static class UserAgentSummary
{
    private const int Inspected = 512;

    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser";
        }

        var ua = userAgent.Length > Inspected ? userAgent[..Inspected] : userAgent;
        var browser = Browser(ua);
        var os = OperatingSystem(ua);
        return os is null ? browser : $"{browser} on {os}";
    }

    private static string Browser(string ua)
    {
        if (Has(ua, "Edg/") || Has(ua, "Edge/"))
        {
            return "Edge";
        }

        if (Has(ua, "OPR/") || Has(ua, "Opera"))
        {
            return "Opera";
        }

        if (Has(ua, "Firefox/"))
        {
            return "Firefox";
        }

        if (Has(ua, "HeadlessChrome/"))
        {
            return "Headless Chrome";
        }

        if (Has(ua, "Chrome/") || Has(ua, "Chromium/") || Has(ua, "CriOS/"))
        {
            return "Chrome";
        }

        if (Has(ua, "Safari/") && Has(ua, "Version/"))
        {
            return "Safari";
        }

        if (ua.StartsWith("curl/", StringComparison.OrdinalIgnoreCase))
        {
            return "curl";
        }

        return "Unknown browser";
    }

    private static string? OperatingSystem(string ua)
    {
        if (Has(ua, "Windows"))
        {
            return "Windows";
        }

        if (Has(ua, "Android"))
        {
            return "Android";
        }

        if (Has(ua, "iPhone") || Has(ua, "iPad"))
        {
            return "iOS";
        }

        if (Has(ua, "Mac OS X") || Has(ua, "Macintosh"))
        {
            return "macOS";
        }

        if (Has(ua, "CrOS"))
        {
            return "ChromeOS";
        }

        return Has(ua, "Linux") ? "Linux" : null;
    }

    private static bool Has(string ua, string part) => ua.Contains(part, StringComparison.OrdinalIgnoreCase);
}
