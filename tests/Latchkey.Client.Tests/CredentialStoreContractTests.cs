using System.Text;
using Latchkey.Client.Credentials;

namespace Latchkey.Client.Tests;

/// <summary>What every credential store must do. Each store runs this class.</summary>
public abstract class CredentialStoreContractTests
{
    private protected abstract ICredentialStore CreateStore();

    private protected static AuthDotJson Sample(string refresh = "r1") => new()
    {
        AuthMode = AuthDotJson.ModeChatGpt,
        Tokens = new TokenData { IdToken = "id", AccessToken = "at", RefreshToken = refresh, AccountId = "ws_1", Provenance = new OAuthProvenance { Issuer = "http://127.0.0.1:1", ClientId = "latchkey-cli" } },
        LastRefresh = "2026-11-21T00:00:00.0000000Z",
    };

    [Fact]
    public async Task Load_WhenEmpty_IsNull() => Assert.Null(await CreateStore().LoadAsync(CancellationToken.None));

    [Fact]
    public async Task SaveThenLoad_RoundTrips()
    {
        var store = CreateStore();
        await store.SaveAsync(Sample(), CancellationToken.None);

        var loaded = await store.LoadAsync(CancellationToken.None);

        Assert.Equal("r1", loaded!.Tokens!.RefreshToken);
        Assert.Equal("ws_1", loaded.Tokens.AccountId);
        Assert.Equal("http://127.0.0.1:1", loaded.Tokens.Provenance!.Issuer);
        Assert.Equal(LoginMethod.Workspace, loaded.Method);
    }

    [Fact]
    public async Task Save_ReplacesPrevious()
    {
        var store = CreateStore();
        await store.SaveAsync(Sample("old"), CancellationToken.None);
        await store.SaveAsync(Sample("new"), CancellationToken.None);

        Assert.Equal("new", (await store.LoadAsync(CancellationToken.None))!.Tokens!.RefreshToken);
    }

    [Fact]
    public async Task Delete_RemovesAndReportsWhetherThereWasOne()
    {
        var store = CreateStore();
        await store.SaveAsync(Sample(), CancellationToken.None);

        Assert.True(await store.DeleteAsync(CancellationToken.None));
        Assert.False(await store.DeleteAsync(CancellationToken.None));
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task LoadedCopy_IsIndependentOfTheStore()
    {
        var store = CreateStore();
        await store.SaveAsync(Sample(), CancellationToken.None);
        var loaded = await store.LoadAsync(CancellationToken.None);
        loaded!.Tokens!.RefreshToken = "mutated";

        Assert.Equal("r1", (await store.LoadAsync(CancellationToken.None))!.Tokens!.RefreshToken);
    }

    [Fact]
    public async Task ConcurrentSaves_LeaveOneCompleteCredential()
    {
        var store = CreateStore();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => store.SaveAsync(Sample("r" + i), CancellationToken.None))));

        var loaded = await store.LoadAsync(CancellationToken.None);
        Assert.StartsWith("r", loaded!.Tokens!.RefreshToken, StringComparison.Ordinal);
        Assert.Equal("ws_1", loaded.Tokens.AccountId);
    }
}

public sealed class InMemoryCredentialStoreTests : CredentialStoreContractTests
{
    private protected override ICredentialStore CreateStore() => new InMemoryCredentialStore();
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileCredentialStoreTests : CredentialStoreContractTests, IDisposable
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-store-" + Guid.NewGuid().ToString("N"), "home");

    private protected override ICredentialStore CreateStore() => new FileCredentialStore(home);

    private string AuthPath => Path.Combine(home, "auth.json");

    [Fact]
    public async Task Save_CreatesPrivateDirectoryAndFile()
    {
        await CreateStore().SaveAsync(Sample(), CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthPath));
        Assert.Empty(Directory.GetFiles(home, "*.tmp"));
    }

    [Fact]
    public async Task Save_RemovesTempFilesLeftByAKilledWriter()
    {
        // 600 SIGKILLs mid-write left 173 temp files behind, 142 holding a secret: the next write clears them.
        Directory.CreateDirectory(home);
        var stale = Path.Combine(home, ".auth.json.4242.0123456789abcdef.tmp");
        await File.WriteAllTextAsync(stale, "{\"tokens\":{\"refresh_token\":\"secret\"}}");
        var unrelated = Path.Combine(home, "notes.tmp");
        await File.WriteAllTextAsync(unrelated, "mine");

        await CreateStore().SaveAsync(Sample(), CancellationToken.None);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task Save_TightensAnExistingOpenDirectory()
    {
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, (UnixFileMode)0b111_101_101);

        await CreateStore().SaveAsync(Sample(), CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home));
    }

    [Fact]
    public async Task UnknownKeys_ArePreservedOnRewrite()
    {
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(AuthPath, """
            {"OPENAI_API_KEY": null, "tokens": {"id_token": "i", "access_token": "a", "refresh_token": "r", "account_id": "w", "future_field": [1, 2]},
             "last_refresh": "2026-01-01T00:00:00Z", "agent_identity": {"kind": "x"}}
            """);
        var store = CreateStore();

        var auth = await store.LoadAsync(CancellationToken.None);
        auth!.Tokens!.RefreshToken = "r2";
        await store.SaveAsync(auth, CancellationToken.None);
        var text = await File.ReadAllTextAsync(AuthPath);

        Assert.Contains("\"agent_identity\"", text, StringComparison.Ordinal);
        Assert.Contains("\"future_field\"", text, StringComparison.Ordinal);
        Assert.Contains("\"r2\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WritesCodexSchema_ApiKeyAlwaysPresent()
    {
        await CreateStore().SaveAsync(Sample(), CancellationToken.None);
        var text = await File.ReadAllTextAsync(AuthPath);

        Assert.Contains("\"OPENAI_API_KEY\": null", text, StringComparison.Ordinal);
        Assert.Contains("\"auth_mode\": \"chatgpt\"", text, StringComparison.Ordinal);
        Assert.Contains("\"oauth_provenance\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("personal_access_token", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"tokens\": 5}")]
    public async Task MalformedFile_IsAClearErrorAndIsNotTouchedByLoad(string content)
    {
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(AuthPath, content);

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => CreateStore().LoadAsync(CancellationToken.None));

        Assert.Equal(ErrorCodes.CredentialFileInvalid, ex.Code);
        Assert.Contains(AuthPath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(AuthPath));
    }

    [Fact]
    public async Task CodexWrittenApiKeyFile_IsReadAsApiKey()
    {
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(AuthPath, "{\"OPENAI_API_KEY\": \"sk-lk-abc\"}", Encoding.UTF8);

        Assert.Equal(LoginMethod.ApiKey, (await CreateStore().LoadAsync(CancellationToken.None))!.Method);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(home)!, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
