using System.Security.Cryptography;

namespace Latchkey.Server.Keys;

/// <summary>The AES-256 key that encrypts the Data Protection key ring; it never enters the database.</summary>
public sealed class KeyProtectionKey
{
    public const int Size = 32;

    private readonly byte[] material;

    public KeyProtectionKey(byte[] material)
    {
        ArgumentNullException.ThrowIfNull(material);
        if (material.Length != Size)
        {
            throw new ArgumentException($"A key-protection key is {Size} bytes.", nameof(material));
        }

        this.material = material.ToArray();
        // A public fingerprint, written next to each ciphertext, so a wrong key is named as such instead of
        // surfacing as a bare authentication-tag failure. Derived one-way: it reveals nothing of the key.
        Id = Convert.ToHexStringLower(SHA256.HashData([.. "latchkey-key-protection-id:"u8, .. material])[..8]);
    }

    public string Id { get; }

    public static KeyProtectionKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    internal AesGcm CreateCipher() => new(material, AesGcm.TagByteSizes.MaxSize);

    public string ToBase64() => Convert.ToBase64String(material);
}
