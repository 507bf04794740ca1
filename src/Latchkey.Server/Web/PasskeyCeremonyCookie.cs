namespace Latchkey.Server.Web;

/// <summary>
/// The browser's half of a WebAuthn ceremony: a random handle whose digest finds the stored challenge. Strict and
/// HttpOnly, under /account only, gone after the ceremony's lifetime — so a challenge can be answered only from the
/// browser that asked for it, and only once.
/// </summary>
public static class PasskeyCeremonyCookie
{
    public const string Name = "latchkey.webauthn";

    /// <summary>The form field that carries the browser's JSON response to the ceremony.</summary>
    public const string ResponseField = "credential";

    public static void Set(HttpContext context, string handle, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Append(Name, handle, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/account",
            MaxAge = lifetime,
            IsEssential = true,
        });
    }

    /// <summary>The handle, and the cookie removed: a ceremony is answered at most once.</summary>
    public static string? Take(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var handle = context.Request.Cookies[Name];
        context.Response.Cookies.Delete(Name, new CookieOptions { Path = "/account" });
        return handle;
    }
}
