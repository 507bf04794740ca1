using System.Numerics;
using System.Text;

namespace Latchkey.Protocol.Tokens;

/// <summary>Base62 ([0-9A-Za-z]): survives double-click selection, URLs and shell quoting.</summary>
public static class Base62
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Encodes big-endian bytes, left-padded with '0' to <paramref name="minLength"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes, int minLength = 0)
    {
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var sb = new StringBuilder();
        while (value > 0)
        {
            value = BigInteger.DivRem(value, 62, out var rem);
            sb.Insert(0, Alphabet[(int)rem]);
        }

        while (sb.Length < minLength)
        {
            sb.Insert(0, '0');
        }

        return sb.ToString();
    }

    public static bool IsBase62(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
