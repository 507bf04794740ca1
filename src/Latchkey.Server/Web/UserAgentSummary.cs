namespace Latchkey.Server.Web;

/// <summary>
/// "Browser on OS" from a User-Agent header, so a person can tell their sign-ins apart without the raw header (which
/// is long, fingerprintable and attacker-chosen) being stored or shown.
/// </summary>
public static class UserAgentSummary
{
    private const int Inspected = 512;

    public static string Describe(string? userAgent, string unknown = "Unknown browser")
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return unknown;
        }

        var ua = userAgent.Length > Inspected ? userAgent[..Inspected] : userAgent;
        var browser = Browser(ua) ?? unknown;
        var os = OperatingSystem(ua);
        return os is null ? browser : $"{browser} on {os}";
    }

    private static string? Browser(string ua)
    {
        // Command-line clients first: codex sends `codex_cli_rs/0.169.0 (Debian 12; x86_64) …`, the Latchkey
        // library `<app>/<version> Latchkey.Client/<version> (Linux; X64)` with `latchkey` as the app for the CLI.
        if (ua.StartsWith("codex_", StringComparison.OrdinalIgnoreCase))
        {
            return "Codex CLI";
        }

        if (ua.StartsWith("latchkey/", StringComparison.OrdinalIgnoreCase))
        {
            return "Latchkey CLI";
        }

        if (Has(ua, "Latchkey.Client/"))
        {
            return "An app using the Latchkey library";
        }

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

        return null;
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

        if (Has(ua, "Mac OS") || Has(ua, "Macintosh") || Has(ua, "macOS"))
        {
            return "macOS";
        }

        if (Has(ua, "CrOS"))
        {
            return "ChromeOS";
        }

        // codex names the distribution, not the kernel.
        return Has(ua, "Linux") || Has(ua, "Debian") || Has(ua, "Ubuntu") || Has(ua, "Fedora") || Has(ua, "Arch Linux")
            || Has(ua, "Alpine") || Has(ua, "CentOS") || Has(ua, "Red Hat") ? "Linux" : null;
    }

    private static bool Has(string ua, string part) => ua.Contains(part, StringComparison.OrdinalIgnoreCase);
}
