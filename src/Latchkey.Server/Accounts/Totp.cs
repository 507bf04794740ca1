using System.Security.Cryptography;
using OtpNet;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Latchkey's TOTP policy (RFC 6238 over HOTP, RFC 4226) on top of Otp.NET: HMAC-SHA1, 6 digits, 30-second steps,
/// one step of drift either way, and the matched step returned so the caller can refuse its reuse (§5.2).
/// </summary>
public static class Totp
{
    public const int Digits = 6;
    public const int StepSeconds = 30;
    private const int SecretBytes = 20; // RFC 4226 §4 R6: at least 128 bits, 160 recommended

    // RFC 6238 §5.2: "at most one time step" of network delay, in either direction for clock drift.
    private static readonly VerificationWindow OneStepEitherWay = new(previous: 1, future: 1);

    public static long GetStep(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>A new random key in the unpadded RFC 4648 base32 form authenticator apps expect.</summary>
    public static string NewSecretBase32() => Base32Encoding.ToString(RandomNumberGenerator.GetBytes(SecretBytes)).TrimEnd('=');

    /// <summary>Decodes a base32 key (any case, spaces ignored); false when it is not base32 or is empty.</summary>
    public static bool TryDecodeSecret(string? base32, out byte[] secret)
    {
        secret = [];
        var clean = base32?.Replace(" ", string.Empty, StringComparison.Ordinal).TrimEnd('=');
        if (string.IsNullOrEmpty(clean))
        {
            return false;
        }

        try
        {
            secret = Base32Encoding.ToBytes(clean);
            return secret.Length > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static string Compute(byte[] secret, long step, int digits = Digits, OtpHashMode mode = OtpHashMode.Sha1)
        => new Hotp(secret, mode, digits).ComputeHOTP(step);

    /// <summary>
    /// Finds the step (now, one back, one ahead) whose code matches; Otp.NET compares in constant time.
    /// Returns null when none does or the code is not exactly six ASCII digits.
    /// </summary>
    public static long? FindMatchingStep(byte[] secret, string? code, DateTimeOffset now)
    {
        if (code is null || code.Length != Digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new OtpNet.Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, OneStepEitherWay) ? step : null;
    }
}
