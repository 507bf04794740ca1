using System.Text.Json;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly CliHarness cli = new();

    [Theory]
    [InlineData("root-help.txt", "--help")]
    [InlineData("login-help.txt", "login", "--help")]
    public async Task Help_IsLocked(string snapshot, params string[] args)
    {
        var (code, output, _) = await cli.RunAsync(null, false, args);

        Assert.Equal(0, code);
        var expected = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Snapshots", snapshot));
        // System.CommandLine names the root command after the host executable, which in-process is the test runner.
        Assert.Equal(expected.ReplaceLineEndings(), output.Replace("Latchkey.Cli.Tests", "latchkey", StringComparison.Ordinal).ReplaceLineEndings());
    }

    [Theory]
    [InlineData("--with-api-key", "LATCHKEY_API_KEY")]
    [InlineData("--with-access-token", "LATCHKEY_ACCESS_TOKEN")]
    public async Task SecretFromTerminal_IsRefusedWithPipeHint(string flag, string envName)
    {
        var (code, _, err) = await cli.RunAsync(null, stdinIsTerminal: true, "login", flag, "--server", "http://127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Contains($"printenv {envName} | latchkey login {flag}", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task AccessToken_CheckedWithServer_ThenStoredAndMasked()
    {
        var token = TokenFormat.Generate("at-");
        using var server = new FakeWhoAmIServer(200, "{\"email\":\"bot@example.com\",\"chatgpt_account_id\":\"ws_9\",\"chatgpt_user_id\":\"u\",\"chatgpt_plan_type\":\"team\",\"chatgpt_account_is_fedramp\":false}");

        var (code, output, err) = await cli.RunAsync(token + "\n", false, "login", "--with-access-token", "--server", server.Url);
        var (statusCode, status, _) = await cli.RunAsync(null, false, "login", "status");

        Assert.True(code == 0, err);
        Assert.Equal("/api/accounts/v1/user-auth-credential/whoami", server.LastPath);
        Assert.Equal("Bearer " + token, server.LastAuthorization);
        Assert.Contains("bot@example.com", output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output + err + status, StringComparison.Ordinal);
        var stored = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cli.Home, "auth.json"))).RootElement;
        Assert.Equal(token, stored.GetProperty("personal_access_token").GetString());
        Assert.False(stored.TryGetProperty("auth_mode", out _)); // Codex: absent for personal access tokens
        Assert.Equal(0, statusCode);
        Assert.Contains("Logged in using an access token - " + TokenFormat.Mask(token), status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_IsCheckedAgainAtUse_RevokedOneIsRefused()
    {
        var token = TokenFormat.Generate("at-");
        using (var ok = new FakeWhoAmIServer(200, "{\"email\":\"bot@example.com\",\"chatgpt_account_id\":\"ws_9\"}"))
        {
            Assert.Equal(0, (await cli.RunAsync(token, false, "login", "--with-access-token", "--server", ok.Url)).ExitCode);
            var (useCode, used, _) = await cli.RunAsync(null, false, "token", "--server", ok.Url);
            Assert.Equal(0, useCode);
            Assert.Equal(token, used.Trim());
        }

        using var revoked = new FakeWhoAmIServer(401, "{\"detail\":\"access token revoked\"}");
        var (code, output, err) = await cli.RunAsync(null, false, "token", "--server", revoked.Url);

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("access token revoked", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task AccessToken_RefusedByServer_ClearMessageNothingSaved(int status)
    {
        using var server = new FakeWhoAmIServer(status, "{\"detail\":\"token revoked\"}");

        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("at-"), false, "login", "--with-access-token", "--server", server.Url);

        Assert.Equal(1, code);
        // The server's reason is shown as it is (a 403 is a policy, whose message users and admins know).
        Assert.Contains("token revoked", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task AccessToken_RefusedWithoutReason_SaysWhatToDo()
    {
        using var server = new FakeWhoAmIServer(401, "{}");

        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("at-"), false, "login", "--with-access-token", "--server", server.Url);

        Assert.Equal(1, code);
        Assert.Contains("create a new one", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_ServerUnreachable_IsAClearError()
    {
        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("at-"), false, "login", "--with-access-token", "--server", "http://127.0.0.1:9");

        Assert.Equal(1, code);
        Assert.Contains("Could not reach", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyGivenAsAccessToken_NamesTheRightFlag()
    {
        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("sk-lk-"), false, "login", "--with-access-token", "--server", "http://127.0.0.1:9");

        Assert.Equal(1, code);
        Assert.Contains("--with-api-key", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_NotSignedIn_ExitsOne()
    {
        var (code, output, err) = await cli.RunAsync(null, false, "token");

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("Not logged in", err, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceQrCode_RendersSquareBlockArt()
    {
        var art = Commands.ConsoleLoginUi.RenderQr("http://127.0.0.1:5080/device?user_code=BCDF-GHJK").TrimEnd('\n').Split('\n');

        Assert.True(art.Length > 10);
        Assert.All(art, line => Assert.Equal(art[0].Length, line.Length));
        Assert.All(art, line => Assert.Matches("^[ ▀▄█]+$", line));
    }

    [Fact]
    public async Task ManagedForcedApi_RefusesDeviceLoginBeforeAnyNetwork_AndCannotBeOverridden()
    {
        cli.WriteManaged("forced_login_method = \"api\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth", "--server", "http://127.0.0.1:9", "-c", "forced_login_method=chatgpt");

        Assert.Equal(1, code);
        Assert.Equal($"Browser and device sign-in are turned off by forced_login_method = \"api\" (set by your administrator in {cli.ManagedPath} line 1). Use `latchkey login --with-api-key`.", err.Trim());
    }

    [Fact]
    public async Task ForcedChatGpt_RefusesApiKeyLogin()
    {
        cli.WriteUserConfig("forced_login_method = \"chatgpt\"\n");

        var (code, _, err) = await cli.RunAsync(TokenFormat.Generate("sk-lk-"), false, "login", "--with-api-key");

        Assert.Equal(1, code);
        Assert.Equal($"API key sign-in is turned off by forced_login_method = \"chatgpt\" (set in {Path.Combine(cli.Home, "config.toml")} line 1). Use `latchkey login` (browser or --device-auth).", err.Trim());
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task StatusJson_ShowsWhichLayerSetEachRestriction()
    {
        cli.WriteManaged("forced_chatgpt_workspace_id = [\"ws_a\", \"ws_b\"]\n");
        cli.WriteUserConfig("forced_login_method = \"workspace\"\n");

        var (_, output, _) = await cli.RunAsync(null, false, "login", "status", "--json");
        var restrictions = JsonDocument.Parse(output).RootElement.GetProperty("restrictions");

        Assert.Equal("managed", restrictions.GetProperty("forced_chatgpt_workspace_id").GetProperty("set_by").GetString());
        Assert.Equal(2, restrictions.GetProperty("forced_chatgpt_workspace_id").GetProperty("value").GetArrayLength());
        Assert.Equal("chatgpt", restrictions.GetProperty("forced_login_method").GetProperty("value").GetString());
        Assert.Equal("user", restrictions.GetProperty("forced_login_method").GetProperty("set_by").GetString());
    }

    [Fact]
    public async Task StoredApiKey_WhenManagedConfigForbidsIt_IsRemovedAtNextCommand()
    {
        var key = TokenFormat.Generate("sk-lk-");
        using var gateway = new FakeWhoAmIServer(200, "{\"object\":\"list\",\"data\":[]}");
        Assert.Equal(0, (await cli.RunAsync(key, false, "login", "--with-api-key", "--server", gateway.Url)).ExitCode);
        cli.WriteManaged("forced_login_method = \"chatgpt\"\n");

        var (code, output, err) = await cli.RunAsync(null, false, "token");

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("forced_login_method", err, StringComparison.Ordinal);
        Assert.Contains("administrator", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "auth.json")));
    }

    [Fact]
    public async Task BrokenConfig_ExitsOneNamingFileLineAndColumn()
    {
        cli.WriteUserConfig("server_url = \"http://x\"\nbad line here\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "status");

        Assert.Equal(1, code);
        Assert.Contains("config.toml:2:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerUrl_ComesFromConfig()
    {
        cli.WriteUserConfig("server_url = \"http://127.0.0.1:9\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth");

        Assert.Equal(1, code);
        Assert.Contains("127.0.0.1:9", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenForProvider_UsesEnvKeyInstructionsWhenMissing()
    {
        cli.WriteUserConfig("[model_providers.other]\nenv_key = \"LATCHKEY_TEST_UNSET_KEY_9F\"\nenv_key_instructions = \"Ask ops for a key.\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "token", "--provider", "other");

        Assert.Equal(1, code);
        Assert.Contains("LATCHKEY_TEST_UNSET_KEY_9F", err, StringComparison.Ordinal);
        Assert.Contains("Ask ops for a key.", err, StringComparison.Ordinal);
    }

    public void Dispose() => cli.Dispose();
}
