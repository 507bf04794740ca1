using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Keys;

/// <summary>
/// Finds the key-protection key: from settings (base64), from the configured key file, or from the default key
/// file in the data directory, which the first start creates (0600) and announces so the operator backs it up.
/// A key file that group or others can read is refused: it would undo the point of keeping it apart.
/// </summary>
public sealed partial class KeyProtectionKeyProvider
{
    private readonly Lazy<KeyProtectionKey> key;

    public KeyProtectionKeyProvider(IOptions<LatchkeyServerOptions> options, ILogger<KeyProtectionKeyProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        key = new Lazy<KeyProtectionKey>(() => Load(options.Value, logger), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public KeyProtectionKey Current => key.Value;

    private static KeyProtectionKey Load(LatchkeyServerOptions options, ILogger logger)
    {
        var settings = options.KeyProtection;
        if (!string.IsNullOrWhiteSpace(settings.Key))
        {
            return Parse(settings.Key, "Latchkey:KeyProtection:Key");
        }

        var configured = !string.IsNullOrWhiteSpace(settings.KeyFile);
        var path = Path.GetFullPath(configured ? settings.KeyFile! : Path.Combine(options.DataDirectory, KeyProtectionOptions.DefaultFileName));
        if (File.Exists(path))
        {
            return ReadFile(path);
        }

        if (configured)
        {
            throw new StartupException($"Key-protection key file {path} (Latchkey:KeyProtection:KeyFile) does not exist. Restore it from your backup; it is not in the database.");
        }

        OwnerOnlyFiles.EnsureDirectory(Path.GetDirectoryName(path)!);
        var created = KeyProtectionKey.Generate();
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var stream = OwnerOnlyFiles.CreateNew(temporary))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(created.ToBase64());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        try
        {
            // Without overwrite the move fails if another instance created the file first; then that one is used.
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return ReadFile(path);
        }

        LogCreated(logger, path);
        return created;
    }

    private static KeyProtectionKey ReadFile(string path)
    {
        if (OwnerOnlyFiles.IsSharedWithOthers(path))
        {
            throw new StartupException($"Key-protection key file {path} is readable by group or others: run `chmod 600 {path}`.");
        }

        return Parse(File.ReadAllText(path), "key file " + path);
    }

    private static KeyProtectionKey Parse(string base64, string source)
    {
        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(base64.Trim(), buffer, out var length) || length != KeyProtectionKey.Size)
        {
            throw new StartupException($"The key-protection key in {source} must be base64 of {KeyProtectionKey.Size} bytes.");
        }

        return new KeyProtectionKey(buffer[..length]);
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Created a new key-protection key at {Path}. BACK IT UP SEPARATELY FROM THE DATABASE: it decrypts the key ring that protects TOTP secrets and signing keys, and without it a restored database opens nothing")]
    private static partial void LogCreated(ILogger logger, string path);
}
