namespace Latchkey.Server.Accounts;

/// <summary>How a sign-in proved the second factor; recorded on the web session.</summary>
public static class SecondFactorMethods
{
    public const string Totp = "totp";
    public const string RecoveryCode = "recovery_code";
}
