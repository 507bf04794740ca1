namespace Latchkey.Server.Web;

/// <summary>How a sign-in proved the second factor (or that there was none); recorded on the web session.</summary>
public static class SecondFactorMethods
{
    public const string Totp = "totp";
    public const string RecoveryCode = "recovery_code";
    public const string Passkey = "passkey";

    /// <summary>Signed in through an upstream provider, whose own policy decides the factors.</summary>
    public const string Federated = "federated";
}
