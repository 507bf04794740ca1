using System.Net;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Latchkey.Client.Credentials;
using Latchkey.Protocol.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Client.Tests;

/// <summary>
/// Issue 17: an app that embeds Latchkey (<see cref="LatchkeyServiceCollectionExtensions.AddLatchkeyClient"/>) gets
/// the CLI's composition: config.toml, the administrator's managed restrictions, the chosen store, the `at-` check.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class ClientCompositionTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("latchkey-app-").FullName;

    private string ManagedPath => Path.Combine(home, "managed", "managed_config.toml");

    private string? Environment(string name) => name == "LATCHKEY_MANAGED_CONFIG" ? ManagedPath : null;

    private void WriteManaged(string toml)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ManagedPath)!);
        File.WriteAllText(ManagedPath, toml);
    }

    private ServiceProvider App(Action<LatchkeyClientOptions>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLatchkeyClient(o =>
        {
            o.Home = home;
            o.Environment = Environment;
            more?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task App_IsRefusedAStoredApiKeyTheManagedConfigForbids_AndTheKeyIsDeleted_BeforeAnyRequestIsSent()
    {
        // The CLI signed in with an API key; then the administrator allowed workspace sign-ins only.
        await new FileCredentialStore(home).SaveAsync(new AuthDotJson { AuthMode = AuthDotJson.ModeApiKey, ApiKey = TokenFormat.Generate("sk-lk-") }, CancellationToken.None);
        WriteManaged("forced_login_method = \"chatgpt\"\n");
        await using var app = App();
        var http = app.GetRequiredService<IHttpClientFactory>().CreateClient("latchkey");

        // Nothing listens on port 9: had the request been sent, this would be an HttpRequestException instead.
        var refused = await Assert.ThrowsAsync<LatchkeyException>(() => http.GetAsync(new Uri("http://127.0.0.1:9/v1/models")));

        Assert.Equal(ErrorCodes.RestrictionViolated, refused.Code);
        Assert.Contains($"set by your administrator in {ManagedPath} line 1", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, FileCredentialStore.FileName)));
        Assert.Same(app.GetRequiredService<LatchkeyClient>(), app.GetRequiredService<ILatchkeyTokenSource>());
    }

    [Fact]
    public async Task App_IsRefusedAnEnvironmentApiKeyTheManagedConfigForbids_EvenWhenTheAppOverridesIt()
    {
        WriteManaged("forced_login_method = \"chatgpt\"\n");
        var key = TokenFormat.Generate("sk-lk-");
        await using var app = App(o =>
        {
            o.Environment = name => name == "LATCHKEY_API_KEY" ? key : Environment(name);
            o.ConfigOverrides.Add("forced_login_method=api"); // the managed layer wins over the app's own settings
        });

        var refused = await Assert.ThrowsAsync<LatchkeyException>(async () => await app.GetRequiredService<ILatchkeyTokenSource>().GetTokenAsync(CancellationToken.None));

        Assert.Equal(ErrorCodes.LoginMethodForbidden, refused.Code);
    }

    [Fact]
    public void App_ReadsServerAndStoreFromConfigToml_AndWarnsAboutAMisspeltKey()
    {
        File.WriteAllText(Path.Combine(home, "config.toml"), "server_url = \"http://127.0.0.1:5080/\"\ncli_auth_credentials_store = \"ephemeral\"\nforced_login_metod = \"api\"\n");
        var warnings = new List<string>();
        using var client = LatchkeyClient.Create(new LatchkeyClientOptions { Home = home, OnWarning = warnings.Add });

        Assert.Equal("http://127.0.0.1:5080", client.Server);
        Assert.StartsWith("memory", client.CredentialStore, StringComparison.Ordinal);
        Assert.Equal($"Warning: {Path.Combine(home, "config.toml")} line 3: unknown key forced_login_metod, ignored; did you mean forced_login_method?", Assert.Single(warnings));
    }

    [Fact]
    public void App_WithAMalformedServerUrlInConfigToml_GetsAnErrorNamingTheFileAndLine()
    {
        File.WriteAllText(Path.Combine(home, "config.toml"), "\nserver_url = \"login.example.com\"\n");

        var ex = Assert.Throws<LatchkeyException>(() => LatchkeyClient.Create(new LatchkeyClientOptions { Home = home }));

        Assert.Equal(ErrorCodes.InvalidServerUrl, ex.Code);
        Assert.StartsWith($"server_url (set in {Path.Combine(home, "config.toml")} line 2): 'login.example.com' has no scheme", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_ReadsTheKeyringStoreTheCliChose()
    {
        File.WriteAllText(Path.Combine(home, "config.toml"), "cli_auth_credentials_store = \"keyring\"\n");
        await using var app = App();
        var client = app.GetRequiredService<LatchkeyClient>();
        Assert.StartsWith("keyring (", client.CredentialStore, StringComparison.Ordinal);
        if (string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            Assert.False(string.Equals(System.Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "No D-Bus session: in CI the keyring tests must run (scripts/test.sh starts one).");
            Assert.Skip("No D-Bus session with a Secret Service; run the tests through scripts/test.sh.");
        }

        var keyring = new KeyringCredentialStore(home);
        var key = TokenFormat.Generate("sk-lk-");
        await keyring.SaveAsync(new AuthDotJson { AuthMode = AuthDotJson.ModeApiKey, ApiKey = key }, CancellationToken.None);
        try
        {
            var credential = await client.GetTokenAsync(CancellationToken.None);

            Assert.Equal(key, credential.BearerToken);
            Assert.Equal(LoginMethod.ApiKey, credential.Method);
            Assert.False(File.Exists(Path.Combine(home, FileCredentialStore.FileName)));
        }
        finally
        {
            await keyring.DeleteAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task AccessToken_IsCheckedWithTheServerOnce_AndAgainAfterA401_WhichThenCarriesTheServersReason()
    {
        var token = TokenFormat.Generate("at-");
        using var server = new FakeAuthorizationServer();
        var whoami = 0;
        var revoked = false;
        server.On("GET", "/api/accounts/v1/user-auth-credential/whoami", (_, _) =>
        {
            whoami++;
            return revoked
                ? FakeAuthorizationServer.Json(401, new JsonObject { ["detail"] = "This access token was revoked." })
                : FakeAuthorizationServer.Json(200, new JsonObject { ["email"] = "bot@example.com", ["chatgpt_account_id"] = "ws_1", ["expires_at"] = "2031-01-02T03:04:05Z" });
        });
        var api = 0;
        server.On("GET", "/api/thing", (_, _) => new HttpResponseMessage(++api == 3 ? HttpStatusCode.Unauthorized : HttpStatusCode.OK));
        using var http = new HttpClient(server);
        using var client = LatchkeyClient.Create(new LatchkeyClientOptions { Home = home, Server = FakeAuthorizationServer.Issuer }.With(name => name == "LATCHKEY_ACCESS_TOKEN" ? token : null), http);
        using var app = new HttpClient(new LatchkeyAuthHandler(client) { InnerHandler = server });

        var first = await client.GetTokenAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(new Uri(FakeAuthorizationServer.Issuer + "/api/thing"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(new Uri(FakeAuthorizationServer.Issuer + "/api/thing"))).StatusCode);
        Assert.Equal(1, whoami); // once per client, as codex checks once per run
        Assert.Equal(new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero), first.ExpiresAt);
        Assert.Equal("ws_1", first.WorkspaceId);

        revoked = true;
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync(new Uri(FakeAuthorizationServer.Issuer + "/api/thing"))).StatusCode);
        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => app.GetAsync(new Uri(FakeAuthorizationServer.Issuer + "/api/thing")));

        Assert.Equal(2, whoami);
        Assert.Equal(ErrorCodes.InvalidSecret, ex.Code);
        Assert.Contains("This access token was revoked.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);
}

internal static class OptionsForTests
{
    public static LatchkeyClientOptions With(this LatchkeyClientOptions options, Func<string, string?> environment)
    {
        options.Environment = environment;
        return options;
    }
}
