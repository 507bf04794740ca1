using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Latchkey.Server.Keys;

/// <summary>
/// Reverses <see cref="KeyProtectionXmlEncryptor"/>. Data Protection creates it by the type name stored in the key
/// ring, through a constructor that takes the <see cref="IServiceProvider"/> (its activator knows no other).
/// </summary>
public sealed class KeyProtectionXmlDecryptor : IXmlDecryptor
{
    private readonly KeyProtectionKeyProvider keys;

    public KeyProtectionXmlDecryptor(IServiceProvider services)
        : this(services.GetRequiredService<KeyProtectionKeyProvider>())
    {
    }

    public KeyProtectionXmlDecryptor(KeyProtectionKeyProvider keys) => this.keys = keys;

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        if (encryptedElement.Name != KeyProtectionXmlEncryptor.ElementName)
        {
            throw new CryptographicException($"Unexpected element {encryptedElement.Name} in the key ring.");
        }

        var key = keys.Current;
        var keyId = (string?)encryptedElement.Attribute("keyId");
        if (!string.Equals(keyId, key.Id, StringComparison.Ordinal))
        {
            throw new CryptographicException(
                $"The Data Protection key ring in this database was encrypted with key-protection key {keyId}, but this server has key {key.Id}. " +
                "Start it with the key file (or Latchkey:KeyProtection:Key) that belongs to this database.");
        }

        var nonce = Convert.FromBase64String((string?)encryptedElement.Attribute("nonce") ?? "");
        var tag = Convert.FromBase64String((string?)encryptedElement.Attribute("tag") ?? "");
        var ciphertext = Convert.FromBase64String(encryptedElement.Value);
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = key.CreateCipher();
            aes.Decrypt(nonce, ciphertext, tag, plaintext, KeyProtectionXmlEncryptor.AssociatedData);
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
