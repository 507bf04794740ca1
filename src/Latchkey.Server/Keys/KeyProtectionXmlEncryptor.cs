using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Latchkey.Server.Keys;

/// <summary>
/// Encrypts the secret part of each Data Protection key (AES-256-GCM, the key-protection key) before the key ring is
/// written to the database. The ciphertext element names the key by fingerprint so a wrong key is reported as such.
/// </summary>
public sealed class KeyProtectionXmlEncryptor(KeyProtectionKeyProvider keys) : IXmlEncryptor
{
    public static readonly XName ElementName = XName.Get("latchkeyProtectedSecret", "urn:latchkey:key-protection:v1");

    /// <summary>Binds the ciphertext to its purpose, so it cannot be replayed as some other AES-GCM message.</summary>
    internal static ReadOnlySpan<byte> AssociatedData => "latchkey:data-protection-key-ring:v1"u8;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var key = keys.Current;
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = key.CreateCipher())
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData);
        }

        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement(
            ElementName,
            new XAttribute("keyId", key.Id),
            new XAttribute("nonce", Convert.ToBase64String(nonce)),
            new XAttribute("tag", Convert.ToBase64String(tag)),
            Convert.ToBase64String(ciphertext));
        return new EncryptedXmlInfo(element, typeof(KeyProtectionXmlDecryptor));
    }
}
