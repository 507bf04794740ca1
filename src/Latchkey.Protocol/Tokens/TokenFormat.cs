using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Protocol.Tokens;

/// <summary>
/// Prefixed secrets: prefix + base62(32 random bytes) padded to 43 + base62(CRC32(prefix+body)) padded to 6.
/// The prefix lets secret scanners recognise them; the checksum lets the server reject typos without a lookup.
/// </summary>
public static class TokenFormat
{
    public const string AccessTokenPrefix = "at-";
    public const string ApiKeyPrefix = "sk-lk-";
    public const int BodyLength = 43;
    public const int ChecksumLength = 6;

    public static string Generate(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var body = Base62.Encode(RandomNumberGenerator.GetBytes(32), BodyLength);
        return prefix + body + Checksum(prefix + body);
    }

    /// <summary>True when the token has the prefix, the right length, base62 characters and a matching checksum.</summary>
    public static bool IsWellFormed(string? token, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (token is null || !token.StartsWith(prefix, StringComparison.Ordinal)
            || token.Length != prefix.Length + BodyLength + ChecksumLength)
        {
            return false;
        }

        var rest = token.AsSpan(prefix.Length);
        if (!Base62.IsBase62(rest))
        {
            return false;
        }

        var expected = Checksum(token[..^ChecksumLength]);
        return string.Equals(expected, token[^ChecksumLength..], StringComparison.Ordinal);
    }

    /// <summary>Shows enough to recognise a secret and nothing that helps use it: `sk-lk-ab***wxyz5`.</summary>
    public static string Mask(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return string.Empty;
        }

        if (secret.Length <= 13)
        {
            return "***";
        }

        return secret[..8] + "***" + secret[^5..];
    }

    private static string Checksum(string input)
    {
        var crc = Crc32.Compute(Encoding.ASCII.GetBytes(input));
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Base62.Encode(bytes, ChecksumLength);
    }
}
