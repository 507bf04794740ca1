namespace Latchkey.Server.Web;

/// <summary>The browser session's authentication schemes: the session itself, and the step between password and second factor.</summary>
public static class SessionSchemes
{
    public const string Session = "Latchkey.Session";

    /// <summary>Between the password and the second factor: proves only the password, lives 10 minutes.</summary>
    public const string MfaPending = "Latchkey.MfaPending";
}
