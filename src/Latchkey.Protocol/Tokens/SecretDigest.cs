using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Protocol.Tokens;

/// <summary>
/// Secrets at rest are SHA-256 digests (DESIGN.md). High-entropy secrets need no salt or slow hash:
/// a 256-bit random value cannot be brute-forced from its digest.
/// </summary>
public static class SecretDigest
{
    public static string Compute(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    /// <summary>A fresh opaque secret: 32 random bytes, base64url (43 characters).</summary>
    public static string NewOpaqueSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static bool FixedTimeEquals(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
    }
}
