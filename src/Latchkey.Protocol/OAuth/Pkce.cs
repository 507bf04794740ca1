using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Protocol.OAuth;

/// <summary>Proof Key for Code Exchange (RFC 7636), S256 only.</summary>
public static class Pkce
{
    public const string MethodS256 = "S256";

    /// <summary>A 43-character verifier from 32 random bytes (RFC 7636 §4.1).</summary>
    public static string CreateVerifier() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2).</summary>
    public static string ComputeS256Challenge(string verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
    }

    /// <summary>
    /// RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
    /// Also the shape of a valid S256 challenge (43 base64url characters).
    /// </summary>
    public static bool IsValidVerifier(string? value)
    {
        if (value is null || value.Length is < 43 or > 128)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks a verifier against a stored S256 challenge in constant time (RFC 7636 §4.6).</summary>
    public static bool Verify(string? verifier, string challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        if (!IsValidVerifier(verifier))
        {
            return false;
        }

        var computed = Encoding.ASCII.GetBytes(ComputeS256Challenge(verifier!));
        var expected = Encoding.ASCII.GetBytes(challenge);
        return CryptographicOperations.FixedTimeEquals(computed, expected);
    }
}
