namespace Latchkey.Server.Web;

/// <summary>
/// How a person signed in, as RFC 8176 `amr` values, and the `acr` (OIDC Core §2) summarising their strength. Stored on
/// the web session, the authorization code or device approval, and the grant; every token of a sign-in carries them.
/// </summary>
public static class AuthenticationMethods
{
    public const string Password = "pwd";
    public const string OneTimePassword = "otp";
    public const string HardwareKey = "hwk";
    public const string MultipleFactors = "mfa";
    public const string UserPresence = "user";

    /// <summary>Signed in at an upstream identity provider (not an RFC 8176 value: the RFC leaves room for more).</summary>
    public const string Federated = "fed";

    /// <summary>Phishing-resistant: a passkey was used (NIST SP 800-63B §5.2.5).</summary>
    public const string AcrPhishingResistant = "urn:latchkey:acr:phr";

    /// <summary>Two factors checked by Latchkey.</summary>
    public const string AcrMultiFactor = "urn:latchkey:acr:mfa";

    /// <summary>Authenticated by the upstream provider; its own policy decided the factors.</summary>
    public const string AcrFederated = "urn:latchkey:acr:fed";

    /// <summary>Sessions, codes and grants from before amr was stored were all password + authenticator code.</summary>
    public const string Legacy = "pwd otp mfa";

    /// <summary>The amr list for a first factor (`pwd` or `fed`) and the second factor's method (or none).</summary>
    public static string Combine(string firstFactor, string? secondFactorMethod) => (firstFactor, secondFactorMethod) switch
    {
        // A passkey with user verification is two factors by itself (the device, and the PIN or biometric that unlocks it).
        (HardwareKey, SecondFactorMethods.Passkey) => $"{HardwareKey} {MultipleFactors}",
        (_, SecondFactorMethods.Totp or SecondFactorMethods.RecoveryCode) => $"{firstFactor} {OneTimePassword} {MultipleFactors}",
        (_, SecondFactorMethods.Passkey) => $"{firstFactor} {HardwareKey} {MultipleFactors}",
        _ => firstFactor,
    };

    public static IReadOnlyList<string> Parse(string? amr)
        => (string.IsNullOrWhiteSpace(amr) ? Legacy : amr).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A passkey took part: the sign-in cannot have been phished (NIST SP 800-63B §5.2.5).</summary>
    public static bool IsPhishingResistant(string? amr) => Parse(amr).Contains(HardwareKey);

    public static string Acr(string? amr)
    {
        var values = Parse(amr);
        if (values.Contains(HardwareKey))
        {
            return AcrPhishingResistant;
        }

        return values.Contains(MultipleFactors) ? AcrMultiFactor : AcrFederated;
    }
}
