using System.Text.Json;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Cli.Tests;

/// <summary>
/// Issue 17: the CLI runs on the library's composition (config layers, restrictions, store, server checks), and what a
/// person gets wrong in config.toml or with a secret is named where it happened.
/// </summary>
public sealed class CliCompositionTests : IDisposable
{
    private readonly CliHarness cli = new();

    private string ConfigPath => Path.Combine(cli.Home, "config.toml");

    [Fact]
    public async Task MisspeltConfigKey_WarnsWithFileLineAndClosestKey_AndTheNoServerErrorNamesConfigToml()
    {
        cli.WriteUserConfig("# my settings\nsever_url = \"http://127.0.0.1:9\"\nmodel = \"gpt-5\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth");
        var lines = err.Trim().Split('\n');

        Assert.Equal(2, code);
        Assert.Equal($"Warning: {ConfigPath} line 2: unknown key sever_url, ignored; did you mean server_url?", lines[0].TrimEnd());
        // `model` is a codex key (the home is shared with codex): no warning for it.
        Assert.Equal(2, lines.Length);
        Assert.Contains($"server_url = \"https://…\" in {ConfigPath}", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task MisspeltProviderKey_IsWarnedWithItsTablePath()
    {
        cli.WriteUserConfig("[model_providers.lk]\nname = \"lk\"\nrequires_openai_atuh = true\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "status");

        Assert.Equal(1, code); // not signed in
        Assert.Contains($"Warning: {ConfigPath} line 3: unknown key model_providers.lk.requires_openai_atuh, ignored; did you mean requires_openai_auth?", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidConfigValue_NamesConfigTomlAndLine()
    {
        cli.WriteUserConfig("server_url = \"http://127.0.0.1:9\"\ncli_auth_credentials_store = \"vault\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "status");

        Assert.Equal(1, code);
        Assert.Contains($"cli_auth_credentials_store (set in {ConfigPath} line 2)", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyLogin_WithoutAServer_IsAUsageError()
    {
        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("sk-lk-"), false, "login", "--with-api-key");

        Assert.Equal(2, code);
        Assert.StartsWith("No server given", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task ApiKeyLogin_ServerUnreachable_ExitsOneNamingTheServer_NothingStored()
    {
        // Nothing listens on port 9 (discard): the key cannot be checked, so it is not stored.
        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("sk-lk-"), false, "login", "--with-api-key", "--server", "http://127.0.0.1:9");

        Assert.Equal(1, code);
        Assert.StartsWith("Could not reach http://127.0.0.1:9 to check the API key", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task ApiKeyLogin_AsksTheGatewayWithTheKey()
    {
        var key = TokenFormat.Generate("sk-lk-");
        using var gateway = new FakeWhoAmIServer(503, "{\"error\":{\"code\":\"gateway_not_configured\",\"message\":\"no upstream\"}}");

        var (code, output, _) = await cli.RunAsync(key, false, "login", "--with-api-key", "--server", gateway.Url);

        Assert.Equal(0, code);
        Assert.Equal("/v1/models", gateway.LastPath);
        Assert.Equal("Bearer " + key, gateway.LastAuthorization);
        Assert.Contains(TokenFormat.Mask(key), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessTokenLogin_ThenStatus_ShowsServerEmailAndExpiryWithoutANetworkCall()
    {
        var token = TokenFormat.Generate("at-");
        string url;
        using (var server = new FakeWhoAmIServer(200, "{\"email\":\"bot@example.com\",\"chatgpt_account_id\":\"ws_9\",\"expires_at\":\"2031-05-06T07:08:09Z\"}"))
        {
            url = server.Url;
            Assert.Equal(0, (await cli.RunAsync(token, false, "login", "--with-access-token", "--server", url)).ExitCode);
        }

        // The server is gone: status reads only what was stored at sign-in.
        var (code, output, _) = await cli.RunAsync(null, false, "login", "status", "--json");
        var (_, text, _) = await cli.RunAsync(null, false, "login", "status");
        var json = JsonDocument.Parse(output).RootElement;

        Assert.Equal(0, code);
        Assert.Equal(url, json.GetProperty("server").GetString());
        Assert.Equal("bot@example.com", json.GetProperty("email").GetString());
        Assert.Equal("ws_9", json.GetProperty("workspace_id").GetString());
        Assert.StartsWith("2031-05-06T07:08:09", json.GetProperty("access_token_expires_at").GetString(), StringComparison.Ordinal);
        Assert.Contains("Email:      bot@example.com", text, StringComparison.Ordinal);
        Assert.Contains("Access token expires: 2031-05-06 07:08:09Z", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output + text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessTokenLogin_ForAWorkspaceTheAdministratorDidNotAllow_IsRefusedAndNotStored()
    {
        cli.WriteManaged("forced_chatgpt_workspace_id = \"ws_allowed\"\n");
        using var server = new FakeWhoAmIServer(200, "{\"email\":\"bot@example.com\",\"chatgpt_account_id\":\"ws_other\"}");

        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("at-"), false, "login", "--with-access-token", "--server", server.Url);

        Assert.Equal(1, code);
        Assert.Contains("ws_other", err, StringComparison.Ordinal);
        Assert.Contains($"set by your administrator in {cli.ManagedPath} line 1", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    public void Dispose() => cli.Dispose();
}
