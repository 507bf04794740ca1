using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;
using Latchkey.Client.OAuth;

namespace Latchkey.Client.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("latchkey-config-").FullName;

    private string Home => dir;

    private string Managed => Path.Combine(dir, "managed", "managed_config.toml");

    private void WriteUser(string toml) => File.WriteAllText(Path.Combine(Home, "config.toml"), toml);

    private void WriteManaged(string toml)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Managed)!);
        File.WriteAllText(Managed, toml);
    }

    private LatchkeyConfig Load(params string[] overrides) => ConfigLoader.Load(Home, overrides, Managed);

    [Fact]
    public void NoFiles_GivesDefaults()
    {
        var config = Load();

        Assert.Equal("file", config.CredentialsStore);
        Assert.Null(config.ForcedLoginMethod);
        Assert.Empty(config.ForcedWorkspaceIds);
    }

    [Fact]
    public void Layers_CommandLineBeatsUser_ManagedBeatsBoth_AndSourcesAreRecorded()
    {
        WriteUser("server_url = \"https://user.example\"\nforced_login_method = \"api\"\ncli_auth_credentials_store = \"ephemeral\"\n");
        WriteManaged("forced_login_method = \"chatgpt\"\nforced_chatgpt_workspace_id = [\"ws_a\", \"ws_b\"]\n");

        var config = Load("server_url=https://cli.example", "forced_login_method=api", "forced_chatgpt_workspace_id=ws_z");

        Assert.Equal("https://cli.example", config.ServerUrl);
        Assert.Equal(ConfigLayer.CommandLine, config.SourceOf("server_url"));
        Assert.Equal("chatgpt", config.ForcedLoginMethod);
        Assert.Equal(ConfigLayer.Managed, config.SourceOf("forced_login_method"));
        Assert.Equal(["ws_a", "ws_b"], config.ForcedWorkspaceIds);
        Assert.Equal(ConfigLayer.Managed, config.SourceOf("forced_chatgpt_workspace_id"));
        Assert.Equal("ephemeral", config.CredentialsStore);
        Assert.Equal(ConfigLayer.User, config.SourceOf("cli_auth_credentials_store"));
    }

    [Theory]
    [InlineData("forced_chatgpt_workspace_id=[\"a\", \"b\"]", new[] { "a", "b" })]
    [InlineData("forced_chatgpt_workspace_id=ws_plain", new[] { "ws_plain" })]
    [InlineData("forced_workspace_id=\"ws_alias\"", new[] { "ws_alias" })]
    public void Override_ValueIsTomlElseString(string assignment, string[] expected)
        => Assert.Equal(expected, Load(assignment).ForcedWorkspaceIds);

    [Fact]
    public void WorkspaceAlias_ForLoginMethod_MeansChatGpt()
        => Assert.Equal("chatgpt", Load("forced_login_method=workspace").ForcedLoginMethod);

    [Fact]
    public void DottedOverride_ReachesModelProviders()
    {
        WriteUser("[model_providers.lk]\nname = \"Latchkey\"\nbase_url = \"http://127.0.0.1:5080/v1\"\n");

        var config = Load("model_providers.lk.requires_openai_auth=true");

        Assert.True(config.ModelProviders["lk"].RequiresOpenAiAuth);
        Assert.Equal("http://127.0.0.1:5080/v1", config.ModelProviders["lk"].BaseUrl);
    }

    [Fact]
    public void SyntaxError_NamesFileLineAndColumn()
    {
        WriteUser("server_url = \"https://x\"\nforced_login_method = \n");

        var ex = Assert.Throws<LatchkeyException>(() => Load());

        Assert.Equal(ErrorCodes.ConfigInvalid, ex.Code);
        Assert.StartsWith(Path.Combine(Home, "config.toml") + ":2:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cli_auth_credentials_store = \"vault\"", "cli_auth_credentials_store")]
    [InlineData("forced_login_method = \"sso\"", "forced_login_method")]
    [InlineData("forced_chatgpt_workspace_id = 5", "forced_chatgpt_workspace_id")]
    [InlineData("server_url = 8080", "server_url")]
    [InlineData("[model_providers.x]\nrequires_openai_auth = \"yes\"", "model_providers.x.requires_openai_auth")]
    public void BadValue_IsAnErrorNamingKeyAndLayer(string toml, string key)
    {
        WriteManaged(toml);

        var ex = Assert.Throws<LatchkeyException>(() => Load());

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("managed_config.toml", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Override_WithoutEquals_IsAClearError()
        => Assert.Contains("key=value", Assert.Throws<LatchkeyException>(() => Load("forced_login_method")).Message, StringComparison.Ordinal);

    public void Dispose() => Directory.Delete(dir, recursive: true);
}

public sealed class RestrictionTests
{
    private readonly InMemoryCredentialStore store = new();
    private readonly ManualClock clock = new();

    private AuthManager Manager(LatchkeyConfig config)
        => new(store, new OAuthClient(new HttpClient(new FakeAuthorizationServer())), new LatchkeyClientOptions { Home = Path.GetTempPath(), Config = config }, clock);

    private Task SaveWorkspaceLoginAsync(string workspace)
        => store.SaveAsync(new AuthDotJson { AuthMode = "chatgpt", Tokens = new TokenData { AccessToken = TestTokens.Jwt(clock.GetUtcNow().AddHours(1), workspace), RefreshToken = "r", AccountId = workspace } }, CancellationToken.None);

    [Theory]
    [InlineData("api", LoginMethod.Workspace, "Browser and device sign-in are turned off by forced_login_method = \"api\" (default). Use `latchkey login --with-api-key`.")]
    [InlineData("api", LoginMethod.AccessToken, "Access-token sign-in is turned off by forced_login_method = \"api\" (default). Use `latchkey login --with-api-key`.")]
    [InlineData("chatgpt", LoginMethod.ApiKey, "API key sign-in is turned off by forced_login_method = \"chatgpt\" (default). Use `latchkey login` (browser or --device-auth).")]
    public void ForbiddenMethod_IsRefusedBeforeAnythingStarts(string forced, LoginMethod method, string message)
    {
        var ex = Assert.Throws<LatchkeyException>(() => Manager(new LatchkeyConfig { ForcedLoginMethod = forced }).CheckLoginMethodAllowed(method));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public async Task StoredLoginForAnotherWorkspace_IsRemovedAndNamed()
    {
        await SaveWorkspaceLoginAsync("ws_other");
        var config = new LatchkeyConfig { ForcedWorkspaceIds = ["ws_a"], Sources = new Dictionary<string, ConfigLayer> { ["forced_chatgpt_workspace_id"] = ConfigLayer.Managed }, Locations = new Dictionary<string, string> { ["forced_chatgpt_workspace_id"] = "set by your administrator in /etc/latchkey/managed_config.toml line 1" } };

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => Manager(config).GetCredentialAsync(CancellationToken.None));

        Assert.Equal(ErrorCodes.RestrictionViolated, ex.Code);
        Assert.Contains("ws_a", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ws_other", ex.Message, StringComparison.Ordinal);
        Assert.Contains("administrator", ex.Message, StringComparison.Ordinal);
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StoredApiKey_UnderForcedChatGpt_IsRemoved()
    {
        await store.SaveAsync(new AuthDotJson { AuthMode = "apikey", ApiKey = "sk-lk-x" }, CancellationToken.None);

        await Assert.ThrowsAsync<LatchkeyException>(() => Manager(new LatchkeyConfig { ForcedLoginMethod = "chatgpt" }).EnforceRestrictionsAsync(CancellationToken.None));
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StoredLoginInAllowedWorkspace_IsKept()
    {
        await SaveWorkspaceLoginAsync("ws_a");

        var credential = await Manager(new LatchkeyConfig { ForcedWorkspaceIds = ["ws_a", "ws_b"] }).GetCredentialAsync(CancellationToken.None);

        Assert.Equal("ws_a", credential.WorkspaceId);
    }

    [Fact]
    public async Task ProviderCredential_FollowsTheProviderSettings()
    {
        await SaveWorkspaceLoginAsync("ws_a");
        var variable = "LATCHKEY_TEST_PROVIDER_KEY_" + Guid.NewGuid().ToString("N");
        var config = new LatchkeyConfig
        {
            ModelProviders = new Dictionary<string, ModelProviderConfig>
            {
                ["lk"] = new() { Id = "lk", RequiresOpenAiAuth = true },
                ["other"] = new() { Id = "other", EnvKey = variable, EnvKeyInstructions = "Create one at https://keys.example." },
                ["local"] = new() { Id = "local" },
            },
        };
        using var manager = new LatchkeyClient(Manager(config), null);

        Assert.Equal((await store.LoadAsync(CancellationToken.None))!.Tokens!.AccessToken, await manager.GetProviderCredentialAsync("lk", CancellationToken.None));
        Assert.Null(await manager.GetProviderCredentialAsync("local", CancellationToken.None));
        var missing = await Assert.ThrowsAsync<LatchkeyException>(() => manager.GetProviderCredentialAsync("other", CancellationToken.None));
        Assert.Contains("Create one at https://keys.example.", missing.Message, StringComparison.Ordinal);
        Environment.SetEnvironmentVariable(variable, "  ");
        await Assert.ThrowsAsync<LatchkeyException>(() => manager.GetProviderCredentialAsync("other", CancellationToken.None));
        Environment.SetEnvironmentVariable(variable, "the-key");
        Assert.Equal("the-key", await manager.GetProviderCredentialAsync("other", CancellationToken.None));
        Environment.SetEnvironmentVariable(variable, null);
        Assert.Equal(ErrorCodes.UnknownProvider, (await Assert.ThrowsAsync<LatchkeyException>(() => manager.GetProviderCredentialAsync("nope", CancellationToken.None))).Code);
    }
}
