using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Latchkey.Server.Accounts;

/// <summary>Time-based one-time passwords, RFC 6238 (HOTP, RFC 4226, over 30-second steps), HMAC-SHA1, 6 digits.</summary>
public static class Totp
{
    public const int Digits = 6;
    public const int StepSeconds = 30;

    public static long GetStep(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    public static string Compute(ReadOnlySpan<byte> secret, long step, int digits = Digits, HashAlgorithmName? algorithm = null)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        var alg = algorithm ?? HashAlgorithmName.SHA1;
        byte[] hash = alg == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(secret, counter)
            : alg == HashAlgorithmName.SHA512 ? HMACSHA512.HashData(secret, counter)
#pragma warning disable CA5350 // RFC 6238 TOTP is defined over HMAC-SHA1, which authenticator apps expect; HMAC-SHA1 is not broken as a MAC.
            : HMACSHA1.HashData(secret, counter);
#pragma warning restore CA5350

        // RFC 4226 §5.3 dynamic truncation.
        var offset = hash[^1] & 0x0F;
        var binary = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        var modulo = (int)Math.Pow(10, digits);
        return (binary % modulo).ToString(new string('0', digits), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Finds the step (now, one back, one ahead: RFC 6238 §5.2 allows one step of drift) whose code matches,
    /// compared in constant time. Returns null when none does.
    /// </summary>
    public static long? FindMatchingStep(ReadOnlySpan<byte> secret, string? code, DateTimeOffset now)
    {
        if (code is null || code.Length != Digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var current = GetStep(now);
        long? match = null;
        var codeBytes = System.Text.Encoding.ASCII.GetBytes(code);
        for (var delta = -1; delta <= 1; delta++)
        {
            var candidate = System.Text.Encoding.ASCII.GetBytes(Compute(secret, current + delta));
            if (CryptographicOperations.FixedTimeEquals(candidate, codeBytes))
            {
                match = current + delta;
            }
        }

        return match;
    }
}
