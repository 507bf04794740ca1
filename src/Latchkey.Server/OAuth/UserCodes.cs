using System.Security.Cryptography;

namespace Latchkey.Server.OAuth;

/// <summary>
/// RFC 8628 §6.1 user codes: 8 characters from 20 consonants (no vowels, so no words; no look-alikes), shown as
/// XXXX-XXXX. 20^8 ≈ 2.6e10 combinations, with wrong entries rate-limited.
/// </summary>
public static class UserCodes
{
    public const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    public const int Length = 8;

    public static string Generate()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return new string(chars);
    }

    public static string Format(string normalized) => normalized.Length == Length ? $"{normalized[..4]}-{normalized[4..]}" : normalized;

    /// <summary>Case- and dash-insensitive entry (RFC 8628 §6.1); null when it cannot be a user code.</summary>
    public static string? Normalize(string? entered)
    {
        if (entered is null || entered.Length > 32)
        {
            return null;
        }

        var chars = entered.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant).ToArray();
        return chars.Length == Length && chars.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? new string(chars) : null;
    }
}
