using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Sign-in through `codex app-server` (what IDE extensions and the TUI use), the real codex 0.169.0 binary against a
/// real Latchkey server, driven over JSON-RPC on stdio. The browser part is done by a signed-in HTTP user.
/// The issuer here is plain http (loopback), so the server is given an https workspace backend origin.
/// </summary>
public sealed class CodexAppServerTests : IAsyncLifetime
{
    private const string BackendOrigin = "https://latchkey.example.test";
    private readonly string codexHome = Directory.CreateTempSubdirectory("latchkey-codex-app-").FullName;
    private readonly OutsideConnectionTrap trap = new();
    private ServerProcess server = null!;
    private HttpUser owner = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(CliProcess.CodexPath))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "codex is missing; scripts/install-test-deps.sh installs it.");
            Assert.Skip("Run scripts/install-test-deps.sh (npm @openai/codex) to run the Codex tests.");
        }

        server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Codex__WorkspaceBackendOrigin"] = BackendOrigin,
            ["Latchkey__RateLimits__SignInPerMinute"] = "1000",
        });
        owner = await HttpUser.CreateOwnerAsync(server);
        CodexHome.WriteOffSwitches(codexHome);
    }

    public async ValueTask DisposeAsync()
    {
        owner?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        await trap.DisposeAsync();
        Directory.Delete(codexHome, recursive: true);
    }

    private Task<CodexAppServer> StartAppServerAsync(params string[] config) => CodexAppServer.StartAsync(codexHome, trap, new Dictionary<string, string>
    {
        ["CODEX_APP_SERVER_LOGIN_ISSUER"] = server.Issuer,
        ["CODEX_APP_SERVER_LOGIN_CLIENT_ID"] = "codex-cli",
    }, ["-c", $"chatgpt_base_url=\"{server.Issuer}/backend-api\"", .. config]);

    private long Scalar(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "latchkey.db")};Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private string? GrantScope()
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "latchkey.db")};Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT scope FROM grants";
        return command.ExecuteScalar() as string;
    }

    /// <summary>Codex's loopback callback and its redirect to /success (codex finishes the login there), without a proxy.</summary>
    private static async Task FollowCallbackAsync(string callbackUrl)
    {
        using var http = new HttpClient(new HttpClientHandler { UseProxy = false, AllowAutoRedirect = true });
        using var response = await http.GetAsync(new Uri(callbackUrl));
    }

    [Fact]
    public async Task App_server_browser_login_asks_for_codex_scopes_and_completes_at_latchkey()
    {
        await using var app = await StartAppServerAsync();

        var started = await app.RequestAsync("account/login/start", new JsonObject { ["type"] = "chatgpt" });
        var authUrl = started["authUrl"]!.GetValue<string>();
        Assert.StartsWith(server.Issuer + "/oauth/authorize?", authUrl, StringComparison.Ordinal);
        Assert.Contains("api.connectors.read", Uri.UnescapeDataString(authUrl), StringComparison.Ordinal);
        var callback = await owner.AuthorizeAsync(authUrl);
        Assert.Contains("code=", callback, StringComparison.Ordinal);
        await FollowCallbackAsync(callback);

        var completed = await app.WaitForNotificationAsync("account/login/completed", TimeSpan.FromSeconds(60));
        Assert.True(completed["success"]!.GetValue<bool>(), completed.ToJsonString() + "\n" + app.Stderr);
        var auth = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(codexHome, "auth.json")))!;
        Assert.Equal(server.Issuer, auth["tokens"]!["oauth_provenance"]!["issuer"]!.GetValue<string>());
        // The connector scopes were asked for and granted nothing (RFC 6749 §3.3).
        Assert.Equal("openid profile email offline_access", GrantScope());
        trap.AssertNoAttempts();
    }

    [Fact]
    public async Task App_server_device_login_completes_with_an_https_backend_origin()
    {
        await using var app = await StartAppServerAsync();

        var started = await app.RequestAsync("account/login/start", new JsonObject { ["type"] = "chatgptDeviceCode" });
        await owner.ApproveDeviceAsync(started["userCode"]!.GetValue<string>());

        var completed = await app.WaitForNotificationAsync("account/login/completed", TimeSpan.FromSeconds(90));
        Assert.True(completed["success"]!.GetValue<bool>(), completed.ToJsonString() + "\n" + app.Stderr);
        Assert.True(File.Exists(Path.Combine(codexHome, "auth.json")));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL"));
        trap.AssertNoAttempts();
    }

    [Fact]
    public async Task A_login_pinned_to_another_workspace_is_refused_at_latchkey_and_leaves_no_grant()
    {
        await using var app = await StartAppServerAsync("-c", "forced_chatgpt_workspace_id=\"ws_pinned_elsewhere\"");

        var started = await app.RequestAsync("account/login/start", new JsonObject { ["type"] = "chatgpt" });
        var authUrl = started["authUrl"]!.GetValue<string>();
        Assert.Contains("allowed_workspace_id=ws_pinned_elsewhere", authUrl, StringComparison.Ordinal);
        var callback = await owner.AuthorizeAsync(authUrl);
        Assert.Contains("error=access_denied", callback, StringComparison.Ordinal);
        await FollowCallbackAsync(callback);

        var completed = await app.WaitForNotificationAsync("account/login/completed", TimeSpan.FromSeconds(60));
        Assert.False(completed["success"]!.GetValue<bool>());
        Assert.False(File.Exists(Path.Combine(codexHome, "auth.json")));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM grants"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM authorization_codes"));
    }
}
