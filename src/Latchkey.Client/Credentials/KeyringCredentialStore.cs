using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latchkey.Client.Credentials.Keyring;

namespace Latchkey.Client.Credentials;

/// <summary>
/// The credential in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows):
/// service `Latchkey Auth`, account `cli|` + 16 hex of SHA-256 of the canonical LATCHKEY_HOME, value the auth.json
/// object as compact JSON (codex-compat.md). A successful save removes a leftover auth.json; delete removes both.
/// </summary>
internal sealed class KeyringCredentialStore : ICredentialStore
{
    public const string Service = "Latchkey Auth";
    private readonly IOsKeyring keyring;
    private readonly FileCredentialStore leftover;

    public KeyringCredentialStore(string home)
        : this(home, CreatePlatformKeyring())
    {
    }

    internal KeyringCredentialStore(string home, IOsKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(home);
        this.keyring = keyring;
        leftover = new FileCredentialStore(home);
        Account = AccountFor(home);
    }

    public string Account { get; }

    public string Description => $"keyring ({keyring.Name}: {Service} / {Account})";

    /// <summary>`cli|` + the first 16 hex characters of SHA-256 of the canonical home path.</summary>
    public static string AccountFor(string home)
    {
        var full = Path.GetFullPath(home).TrimEnd(Path.DirectorySeparatorChar);
        var info = new DirectoryInfo(full);
        var canonical = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full : full;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return "cli|" + Convert.ToHexStringLower(hash)[..16];
    }

    public Task<AuthDotJson?> LoadAsync(CancellationToken cancellationToken)
    {
        var json = keyring.Read(Service, Account);
        return Task.FromResult(json is null ? null : FileCredentialStore.Parse(Encoding.UTF8.GetBytes(json), $"the keyring entry {Service} / {Account}"));
    }

    public async Task SaveAsync(AuthDotJson auth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auth);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            JsonSerializer.Serialize(writer, auth, AuthJsonContext.Default.AuthDotJson);
        }

        keyring.Write(Service, Account, $"{Service} ({Account})", Encoding.UTF8.GetString(buffer.ToArray()));

        // The keyring now holds the credential: a plaintext copy from an earlier file-store login must not linger.
        await leftover.DeleteAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(CancellationToken cancellationToken)
    {
        var inKeyring = keyring.Delete(Service, Account);
        var inFile = await leftover.DeleteAsync(cancellationToken);
        return inKeyring || inFile;
    }

    /// <summary>Writes, reads back and deletes a throwaway entry: true only when the keyring really works here.</summary>
    public static bool Probe(out string? reason)
    {
        var account = "cli|probe-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var keyring = CreatePlatformKeyring();
            keyring.Write(Service, account, "Latchkey keyring probe", "probe");
            var ok = keyring.Read(Service, account) == "probe";
            keyring.Delete(Service, account);
            reason = ok ? null : "the keyring did not return what was written";
            return ok;
        }
        catch (LatchkeyException ex)
        {
            reason = ex.Message;
            return false;
        }
    }

    private static IOsKeyring CreatePlatformKeyring()
    {
        if (OperatingSystem.IsLinux())
        {
            return new SecretServiceKeyring();
        }

        if (OperatingSystem.IsMacOS())
        {
            return new MacKeychain();
        }

        if (OperatingSystem.IsWindows())
        {
            return new WindowsCredentialManager();
        }

        throw new LatchkeyException(ErrorCodes.CredentialStoreUnavailable, "No OS keyring is supported on this platform. Set cli_auth_credentials_store = \"file\".");
    }
}
