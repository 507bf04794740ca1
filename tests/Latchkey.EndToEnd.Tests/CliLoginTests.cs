using System.Net;
using System.Text.Json.Nodes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The real `latchkey` binary against the real server process.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliLoginTests : IAsyncLifetime
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-cli-" + Guid.NewGuid().ToString("N"));
    private ServerProcess server = null!;
    private HttpUser user = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServerProcess.StartAsync();
        user = await HttpUser.CreateOwnerAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        user.Dispose();
        await server.DisposeAsync();
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => CliProcess.RunAsync(home, null, null, args);

    private async Task DeviceLoginAsync()
    {
        using var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer);
        var codeLine = await login.WaitForLineAsync(CliOutput.IsUserCodeLine);
        await user.ApproveDeviceAsync(codeLine.Trim());
        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Successfully logged in as " + user.Email, login.Stdout, StringComparison.Ordinal);
        Assert.Contains(server.Issuer + "/device?user_code=", login.Stderr, StringComparison.Ordinal); // the QR code's URL
    }

    [Fact]
    public async Task DeviceLogin_ThenStatusTokenLogout_RevokesOnServer()
    {
        await DeviceLoginAsync();

        var status = await RunAsync("login", "status");
        var json = await RunAsync("login", "status", "--json");
        var token = await RunAsync("token");
        var authJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home, "auth.json")))!;
        var refresh = (string)authJson["tokens"]!["refresh_token"]!;
        var fileMode = File.GetUnixFileMode(Path.Combine(home, "auth.json"));
        var dirMode = File.GetUnixFileMode(home);
        var logout = await RunAsync("logout");
        var after = await RunAsync("login", "status");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Logged in using a workspace account", status.Stdout, StringComparison.Ordinal);
        Assert.Contains(user.Email, status.Stdout, StringComparison.Ordinal);
        var parsed = JsonNode.Parse(json.Stdout)!;
        Assert.True((bool)parsed["logged_in"]!);
        Assert.Equal("workspace", (string?)parsed["method"]);
        Assert.DoesNotContain(refresh, json.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain((string)authJson["tokens"]!["access_token"]!, json.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, token.ExitCode);
        Assert.Equal((string)authJson["tokens"]!["access_token"]!, token.Stdout.Trim());
        Assert.Equal("chatgpt", (string?)authJson["auth_mode"]);
        Assert.Equal(server.Issuer, (string?)authJson["tokens"]!["oauth_provenance"]!["issuer"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, fileMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, dirMode);
        Assert.Contains("revoked on the server", logout.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("Not logged in", after.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));

        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["client_id"] = "latchkey-cli" });
        var refused = await http.PostAsync(new Uri(server.Issuer + "/oauth/token"), form);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("refresh_token_invalidated", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusCheck_AsksTheServer_RevokedSignInIsNotLoggedIn()
    {
        await DeviceLoginAsync();
        var checkedBefore = await RunAsync("login", "status", "--check");
        var refresh = (string)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home, "auth.json")))!["tokens"]!["refresh_token"]!;
        using (var http = new HttpClient())
        using (var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = refresh, ["token_type_hint"] = "refresh_token", ["client_id"] = "latchkey-cli" }))
        {
            // Revoked elsewhere (another device, an admin): the local file still looks fine.
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri(server.Issuer + "/oauth/revoke"), form)).StatusCode);
        }

        var local = await RunAsync("login", "status");
        var checkedAfter = await RunAsync("login", "status", "--check");
        var json = await RunAsync("login", "status", "--check", "--json");

        Assert.Equal(0, checkedBefore.ExitCode);
        Assert.Contains("Checked with the server: the sign-in is valid", checkedBefore.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, local.ExitCode); // no --check: the local store only, no network call
        Assert.Equal(1, checkedAfter.ExitCode);
        Assert.StartsWith("Not logged in: the server no longer accepts the stored sign-in", checkedAfter.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        var check = JsonNode.Parse(json.Stdout)!["server_check"]!;
        Assert.False((bool)check["active"]!);
        Assert.Equal("userinfo", (string?)check["by"]);
    }

    [Fact]
    public async Task BrowserLogin_Headless_PrintsUrl_ThenCallbackCompletes()
    {
        using var login = CliProcess.Start(home, null, null, "login", "--server", server.Issuer);
        var urlLine = await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal));
        var callback = await user.AuthorizeAsync(urlLine.Trim());
        using var browser = new HttpClient();
        var page = await browser.GetAsync(new Uri(callback));

        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("You are signed in", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("--device-auth", login.Stderr, StringComparison.Ordinal); // headless hint
        Assert.Equal(0, (await RunAsync("login", "status")).ExitCode);
    }

    [Fact]
    public async Task BrowserLogin_CtrlC_ExitsWith130AndReleasesThePort()
    {
        using var login = CliProcess.Start(home, null, null, "login", "--server", server.Issuer);
        var url = (await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal))).Trim();
        var port = new Uri(System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["redirect_uri"]!).Port;

        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", login.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        Assert.Equal(130, await login.WaitAsync(TimeSpan.FromSeconds(30)));
        using var rebind = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        rebind.Start();
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public async Task Logout_ServerUnreachable_RemovesLocallyAndSaysSo()
    {
        await DeviceLoginAsync();
        await server.DisposeAsync();

        var logout = await RunAsync("logout");

        Assert.Equal(0, logout.ExitCode);
        Assert.Contains("could not be reached", logout.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
        server = await ServerProcess.StartAsync();
    }

    [Fact]
    public async Task Status_MakesNoNetworkCall()
    {
        await DeviceLoginAsync();
        await server.DisposeAsync(); // nothing to talk to

        var status = await RunAsync("login", "status");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains(user.Email, status.Stdout, StringComparison.Ordinal);
        server = await ServerProcess.StartAsync();
    }

    [Fact]
    public async Task ApiKeyFromStdin_CheckedWithTheServer_StoredAndMasked_RevokedOrUnknownRefused_EnvVariableNotStored()
    {
        var workspace = await user.WorkspaceIdAsync();
        var (keyId, key) = await user.CreateApiKeyAsync(workspace, "ci key");

        var login = await CliProcess.RunAsync(home, null, key + "\n", "login", "--with-api-key", "--server", server.Issuer);
        var status = await RunAsync("login", "status");
        await RunAsync("logout");
        var fromEnv = await CliProcess.RunAsync(home, new Dictionary<string, string> { ["LATCHKEY_API_KEY"] = key }, null, "login", "status");
        await user.RevokeApiKeyAsync(workspace, keyId);
        var revoked = await CliProcess.RunAsync(home, null, key, "login", "--with-api-key", "--server", server.Issuer);
        var unknown = await CliProcess.RunAsync(home, null, Latchkey.Protocol.Tokens.TokenFormat.Generate("sk-lk-"), "login", "--with-api-key", "--server", server.Issuer);

        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.DoesNotContain(key, login.Stdout + login.Stderr, StringComparison.Ordinal);
        Assert.Contains(key[..8] + "***" + key[^5..], status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(key, status.Stdout, StringComparison.Ordinal);
        Assert.Contains("environment (LATCHKEY_API_KEY)", fromEnv.Stdout, StringComparison.Ordinal);
        // A revoked key does not "sign in": the server's reason, exit 1, nothing stored (issue 17).
        Assert.Equal(1, revoked.ExitCode);
        Assert.Equal("The server refused this API key: This API key was revoked.", revoked.Stderr.Trim());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("The API key is not valid.", unknown.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public async Task AccessTokenLogin_StatusShowsServerEmailAndExpiry_FromTheServersAnswer()
    {
        var workspace = await user.WorkspaceIdAsync();
        var (_, secret) = await user.CreateAccessTokenAsync(workspace, "ci runner");

        var login = await CliProcess.RunAsync(home, null, secret, "login", "--with-access-token", "--server", server.Issuer);
        var json = await RunAsync("login", "status", "--json");

        Assert.True(login.ExitCode == 0, login.Stderr);
        var status = JsonNode.Parse(json.Stdout)!;
        Assert.Equal(server.Issuer, (string?)status["server"]);
        Assert.Equal(user.Email, (string?)status["email"]);
        Assert.Equal(workspace, (string?)status["workspace_id"]);
        var expires = DateTimeOffset.Parse((string)status["access_token_expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31)); // the 30-day token
    }

    [Fact]
    public async Task MalformedAuthJson_ClearErrorAndFileUntouched()
    {
        Directory.CreateDirectory(home);
        var path = Path.Combine(home, "auth.json");
        await File.WriteAllTextAsync(path, "{ \"tokens\": ");

        var status = await RunAsync("login", "status");
        var token = await RunAsync("token");

        Assert.Equal(1, status.ExitCode);
        Assert.Contains("is not a valid credential file", status.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, token.ExitCode);
        Assert.Equal("{ \"tokens\": ", await File.ReadAllTextAsync(path));
    }

    [Theory]
    [InlineData(2, "login", "--device-auth", "--with-api-key")]
    [InlineData(2, "login", "--nope")]
    [InlineData(2, "frobnicate")]
    [InlineData(2, "login")]
    public async Task WrongUsage_ExitsTwoWithOneLine(int expected, params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(expected, result.ExitCode);
        Assert.True(result.Stderr.Trim().Split('\n').Length <= 3, result.Stderr);
    }
}
