using System.Runtime.Versioning;
using System.Text.Json;
using Latchkey.Client.Credentials;
using Latchkey.Client.Credentials.Keyring;

namespace Latchkey.Client.Tests;

/// <summary>
/// The keyring store against the real Secret Service (gnome-keyring in a headless D-Bus session, which
/// scripts/test.sh starts). Skips locally without a session bus; in CI it must run.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class KeyringCredentialStoreTests : CredentialStoreContractTests, IAsyncDisposable
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-keyring-" + Guid.NewGuid().ToString("N"));

    private protected override ICredentialStore CreateStore()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "No D-Bus session: in CI the keyring tests must run (scripts/test.sh starts one).");
            Assert.Skip("No D-Bus session with a Secret Service; run the tests through scripts/test.sh.");
        }

        return new KeyringCredentialStore(home);
    }

    [Fact]
    public void Account_IsCliPlusSixteenHexOfTheHomePath()
    {
        var account = KeyringCredentialStore.AccountFor(home);

        Assert.Matches("^cli\\|[0-9a-f]{16}$", account);
        Assert.Equal(account, KeyringCredentialStore.AccountFor(home + "/"));
        Assert.NotEqual(account, KeyringCredentialStore.AccountFor(home + "-other"));
    }

    [Fact]
    public async Task Save_StoresCompactJsonInTheKeyring_AndRemovesALeftoverAuthJson()
    {
        var store = (KeyringCredentialStore)CreateStore();
        await new FileCredentialStore(home).SaveAsync(Sample("from-file"), CancellationToken.None);

        await store.SaveAsync(Sample("in-keyring"), CancellationToken.None);

        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
        var raw = new SecretServiceKeyring().Read(KeyringCredentialStore.Service, store.Account)!;
        Assert.DoesNotContain('\n', raw);
        Assert.Equal("in-keyring", JsonDocument.Parse(raw).RootElement.GetProperty("tokens").GetProperty("refresh_token").GetString());
    }

    [Fact]
    public async Task Delete_RemovesKeyringEntryAndFile()
    {
        var store = (KeyringCredentialStore)CreateStore();
        await store.SaveAsync(Sample(), CancellationToken.None);
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, "auth.json"), "{}");

        Assert.True(await store.DeleteAsync(CancellationToken.None));

        Assert.Null(new SecretServiceKeyring().Read(KeyringCredentialStore.Service, store.Account));
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public void Probe_SucceedsInTheTestSession()
    {
        CreateStore();
        Assert.True(KeyringCredentialStore.Probe(out var reason), reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            await new KeyringCredentialStore(home).DeleteAsync(CancellationToken.None);
        }

        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
