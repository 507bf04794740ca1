namespace Latchkey.Server.Web;

/// <summary>The browser session's authentication schemes: the session itself, and the step between password and second factor.</summary>
public static class SessionSchemes
{
    public const string Session = "Latchkey.Session";

    /// <summary>Between the password and the second factor: proves only the password, lives 10 minutes.</summary>
    public const string MfaPending = "Latchkey.MfaPending";

    /// <summary>
    /// After an upstream provider's sign-in, before Latchkey decided what it means: holds only the validated identity
    /// (issuer, subject, email, email_verified), lives 10 minutes, and opens nothing by itself.
    /// </summary>
    public const string External = "Latchkey.External";
}
