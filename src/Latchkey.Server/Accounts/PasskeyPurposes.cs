namespace Latchkey.Server.Accounts;

/// <summary>What a WebAuthn ceremony is for. A challenge issued for one purpose is refused for any other.</summary>
public static class PasskeyPurposes
{
    public const string Register = "register";
    public const string SecondFactor = "second_factor";
    public const string Passwordless = "passwordless";
}
