using System.Security.Cryptography;
using System.Xml.Linq;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Keys;

/// <summary>
/// At start-up, before anything reads the key ring: encrypts the Data Protection keys that an earlier version stored
/// in plain text (the keys stay the same, so enrolled TOTP secrets and signing keys still open), and checks that
/// this server's key-protection key opens every encrypted key, so a wrong key stops start-up with a clear message
/// instead of the framework quietly making a new key ring that other instances cannot read.
/// </summary>
public sealed partial class KeyRingProtection(
    KeyRepository repository,
    IOptions<KeyManagementOptions> keyManagement,
    KeyProtectionKeyProvider keys,
    ILogger<KeyRingProtection> logger)
{
    // The names Data Protection itself uses (XmlConstants in Microsoft.AspNetCore.DataProtection, internal there).
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = DataProtection + "requiresEncryption";
    private static readonly XName EncryptedSecret = DataProtection + "encryptedSecret";

    public async Task ProtectAsync(CancellationToken cancellationToken)
    {
        var encryptor = keyManagement.Value.XmlEncryptor;
        if (encryptor is null)
        {
            return;
        }

        var decryptor = new KeyProtectionXmlDecryptor(keys);
        var encrypted = 0;
        foreach (var (friendlyName, xml) in await repository.ListDataProtectionKeyRowsAsync(cancellationToken))
        {
            var element = XElement.Parse(xml);
            foreach (var secret in element.Descendants(EncryptedSecret).SelectMany(e => e.Elements()))
            {
                try
                {
                    decryptor.Decrypt(secret);
                }
                catch (CryptographicException e)
                {
                    throw new StartupException(e.Message, e);
                }
            }

            var plaintext = element.DescendantsAndSelf().Where(e => (bool?)e.Attribute(RequiresEncryption) == true).ToList();
            if (plaintext.Count == 0)
            {
                continue;
            }

            foreach (var secret in plaintext)
            {
                // The same shape Data Protection writes for a key encrypted when it was made.
                var info = encryptor.Encrypt(secret);
                secret.ReplaceWith(new XElement(EncryptedSecret, new XAttribute("decryptorType", info.DecryptorType.AssemblyQualifiedName!), info.EncryptedElement));
            }

            await repository.ReplaceDataProtectionKeyAsync(friendlyName, element.ToString(SaveOptions.DisableFormatting), cancellationToken);
            encrypted++;
        }

        if (encrypted > 0)
        {
            LogEncrypted(logger, encrypted, keys.Current.Id);
        }
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Encrypted {Count} Data Protection keys that were stored in plain text, with key-protection key {KeyId}; copies of the database made before now still expose them")]
    private static partial void LogEncrypted(ILogger logger, int count, string keyId);
}
