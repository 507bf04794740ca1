namespace Latchkey.Server.Configuration;

/// <summary>
/// The key that encrypts the Data Protection key ring. It must live outside the database, so a copy of the database
/// alone opens nothing. One of: a key file (default `{DataDirectory}/key-protection.key`, created on first start,
/// mode 0600), or the key itself in base64 (`Latchkey__KeyProtection__Key`, for containers whose secrets arrive as
/// environment variables). Every instance that shares a database needs the same key.
/// </summary>
public sealed class KeyProtectionOptions
{
    public const string DefaultFileName = "key-protection.key";

    /// <summary>Path of a file holding a base64 AES-256 key. Must not be readable by group or others.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The key itself, base64 of 32 bytes. Takes the place of the key file.</summary>
    public string? Key { get; set; }
}
