using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Server.Pages;

/// <summary>
/// A time as people read it: "3 hours ago", "in 29 days", with the exact UTC time in a `time` element's datetime and
/// title, so nothing is lost and a screen reader or script can still read the machine form.
/// </summary>
public static class HumanTime
{
    private static readonly TimeSpan DateAfter = TimeSpan.FromDays(45);

    private static bool IsDate(DateTimeOffset at, DateTimeOffset now) => (now - at).Duration() >= DateAfter;

    public static IHtmlContent Format(long? unixMs, DateTimeOffset now, string empty = "never")
    {
        if (unixMs is not { } ms)
        {
            return new HtmlString($"<span class=\"muted\">{WebUtility.HtmlEncode(empty)}</span>");
        }

        var at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        var iso = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var exact = at.UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        // Relative text reads the same in every zone; a date (over 45 days away) is in UTC until console.js puts it,
        // and every title, in the reader's own zone (the server cannot know it).
        var relative = Relative(at, now);
        var kind = IsDate(at, now) ? " data-date" : string.Empty;
        return new HtmlString($"<time datetime=\"{iso}\" title=\"{exact}\"{kind}>{WebUtility.HtmlEncode(relative)}</time>");
    }

    public static string Relative(DateTimeOffset at, DateTimeOffset now)
    {
        var delta = now - at;
        var future = delta < TimeSpan.Zero;
        var span = future ? -delta : delta;
        if (span < TimeSpan.FromMinutes(1))
        {
            return future ? "in a moment" : "just now";
        }

        var amount = span switch
        {
            _ when span < TimeSpan.FromHours(1) => Unit((int)span.TotalMinutes, "minute"),
            _ when span < TimeSpan.FromDays(1) => Unit((int)span.TotalHours, "hour"),
            _ when span < DateAfter => Unit((int)span.TotalDays, "day"),
            _ => null,
        };
        if (amount is null)
        {
            return at.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture);
        }

        return future ? "in " + amount : amount + " ago";
    }

    private static string Unit(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString(CultureInfo.InvariantCulture)} {unit}s";
}
