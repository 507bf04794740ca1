using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Client.Tests;

public sealed class LoginFlowTests : IDisposable
{
    private readonly FakeAuthorizationServer server = new();
    private readonly HttpClient fakeHttp;
    private readonly HttpClient realHttp = new();
    private readonly ManualClock clock = new();
    private readonly RecordingUi ui = new();

    public LoginFlowTests() => fakeHttp = new HttpClient(server);

    private static ServerMetadata Metadata(bool device = true) => new()
    {
        Issuer = FakeAuthorizationServer.Issuer,
        AuthorizationEndpoint = FakeAuthorizationServer.Issuer + "/oauth/authorize",
        TokenEndpoint = FakeAuthorizationServer.Issuer + "/oauth/token",
        DeviceAuthorizationEndpoint = device ? FakeAuthorizationServer.Issuer + "/oauth/device_authorization" : null,
    };

    private void ScriptDeviceStart(long interval = 5, long expiresIn = 900)
        => server.OnJson("POST", "/oauth/device_authorization", 200, new JsonObject
        {
            ["device_code"] = "dc",
            ["user_code"] = "BCDF-GHJK",
            ["verification_uri"] = FakeAuthorizationServer.Issuer + "/device",
            ["verification_uri_complete"] = FakeAuthorizationServer.Issuer + "/device?user_code=BCDF-GHJK",
            ["expires_in"] = expiresIn,
            ["interval"] = interval,
        });

    private void ScriptPoll(string? error)
        => server.OnJson("POST", "/oauth/token", error is null ? 200 : 400, error is null ? TestTokens.TokenReply(DateTimeOffset.UtcNow.AddHours(1)) : new JsonObject { ["error"] = error });

    [Fact]
    public async Task Device_PendingThenSlowDownThenTokens_HonoursIntervals_Rfc8628Section3_5()
    {
        ScriptDeviceStart();
        ScriptPoll("authorization_pending");
        ScriptPoll("slow_down");
        ScriptPoll("authorization_pending");
        ScriptPoll(null);

        var tokens = await new DeviceLogin(new OAuthClient(fakeHttp), ui, clock).RunAsync(Metadata(), "latchkey-cli", CancellationToken.None);

        Assert.NotNull(tokens.AccessToken);
        Assert.Equal([5, 5, 10, 10], clock.Delays.Select(d => (int)d.TotalSeconds));
        Assert.Equal("BCDF-GHJK", ui.UserCode);
    }

    [Theory]
    [InlineData("access_denied", ErrorCodes.LoginFailed)]
    [InlineData("expired_token", ErrorCodes.LoginTimedOut)]
    public async Task Device_TerminalErrors_EndTheLogin(string error, string code)
    {
        ScriptDeviceStart();
        ScriptPoll(error);

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new DeviceLogin(new OAuthClient(fakeHttp), ui, clock).RunAsync(Metadata(), "latchkey-cli", CancellationToken.None));
        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public async Task Device_StopsAtExpiryWithoutApproval()
    {
        ScriptDeviceStart(interval: 5, expiresIn: 12);
        ScriptPoll("authorization_pending");

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new DeviceLogin(new OAuthClient(fakeHttp), ui, clock).RunAsync(Metadata(), "latchkey-cli", CancellationToken.None));
        Assert.Equal(ErrorCodes.LoginTimedOut, ex.Code);
    }

    [Fact]
    public async Task Device_ServerWithoutDeviceEndpoint_ReportsDisabled()
    {
        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new DeviceLogin(new OAuthClient(fakeHttp), ui, clock).RunAsync(Metadata(device: false), "latchkey-cli", CancellationToken.None));
        Assert.Equal(ErrorCodes.DeviceAuthDisabled, ex.Code);
    }

    [Fact]
    public async Task Discovery_IssuerMismatch_IsRefused()
    {
        server.OnJson("GET", "/.well-known/openid-configuration", 200, new JsonObject
        {
            ["issuer"] = "https://evil.example",
            ["authorization_endpoint"] = "https://evil.example/a",
            ["token_endpoint"] = "https://evil.example/t",
        });

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new OAuthClient(fakeHttp).DiscoverAsync(FakeAuthorizationServer.Issuer, CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidServerResponse, ex.Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"issuer\": 5}")]
    [InlineData("{}")]
    public async Task Discovery_BadReply_IsAClearError(string body)
    {
        server.On("GET", "/.well-known/openid-configuration", (_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body) });

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new OAuthClient(fakeHttp).DiscoverAsync(FakeAuthorizationServer.Issuer, CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidServerResponse, ex.Code);
    }

    [Fact]
    public async Task TokenReply_MissingRefreshToken_IsRejected()
    {
        server.OnJson("POST", "/oauth/token", 200, new JsonObject { ["access_token"] = "a", ["id_token"] = "i" });

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => new OAuthClient(fakeHttp).ExchangeCodeAsync(Metadata(), "latchkey-cli", "c", "http://127.0.0.1/cb", "v", CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidServerResponse, ex.Code);
    }

    [Fact]
    public async Task Browser_WrongStateGets400AndKeepsWaiting_ThenRealCallbackCompletes_Rfc6749Section10_12()
    {
        server.OnJson("POST", "/oauth/token", 200, TestTokens.TokenReply(DateTimeOffset.UtcNow.AddHours(1)));
        var browser = new CallbackBrowser(realHttp);
        var login = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, browser, ui) { PreferredPort = 0 };

        var run = login.RunAsync(Metadata(), "latchkey-cli", ["ws_1"], TimeSpan.FromMinutes(1), CancellationToken.None);
        var authorize = await browser.Opened.Task;
        var q = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        var redirect = q["redirect_uri"]!;
        var forged = await realHttp.GetAsync(new Uri(redirect + "?code=evil&state=wrong"));
        var missing = await realHttp.GetAsync(new Uri(redirect + "?code=evil"));
        var ok = await realHttp.GetAsync(new Uri($"{redirect}?code=good&state={q["state"]}"));
        var tokens = await run;

        Assert.Equal("S256", q["code_challenge_method"]);
        Assert.Equal("ws_1", q["allowed_workspace_id"]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("You are signed in", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(tokens.RefreshToken);
        Assert.Contains("code=good", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_OAuthErrorCallback_EndsWithServerDescription()
    {
        var browser = new CallbackBrowser(realHttp);
        var run = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, browser, ui) { PreferredPort = 0 }
            .RunAsync(Metadata(), "latchkey-cli", [], TimeSpan.FromMinutes(1), CancellationToken.None);
        var q = System.Web.HttpUtility.ParseQueryString((await browser.Opened.Task).Query);

        var page = await realHttp.GetAsync(new Uri($"{q["redirect_uri"]}?error=access_denied&error_description=Not+a+member&state={q["state"]}"));

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => run);
        Assert.Equal("Sign-in failed: Not a member", ex.Message);
        Assert.Contains("Not a member", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_PreferredPortBusyWithStaleLogin_CancelsItAndTakesThePort()
    {
        var firstBrowser = new CallbackBrowser(realHttp);
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var first = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, firstBrowser, ui) { PreferredPort = port }
            .RunAsync(Metadata(), "latchkey-cli", [], TimeSpan.FromMinutes(1), CancellationToken.None);
        await firstBrowser.Opened.Task;

        var secondBrowser = new CallbackBrowser(realHttp);
        var second = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, secondBrowser, ui) { PreferredPort = port }
            .RunAsync(Metadata(), "latchkey-cli", [], TimeSpan.FromMinutes(1), CancellationToken.None);
        var secondUrl = await secondBrowser.Opened.Task;

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => first);
        Assert.Equal(ErrorCodes.LoginCancelled, ex.Code);
        Assert.Contains($"127.0.0.1%3A{port}", secondUrl.Query, StringComparison.Ordinal);
        await realHttp.GetAsync(new Uri($"http://127.0.0.1:{port}{LoopbackListener.CancelPath}"));
        await Assert.ThrowsAsync<LatchkeyException>(() => second);
    }

    [Fact]
    public async Task Browser_PreferredPortHeldByCodexLogin_LeavesItRunningAndTakesAnotherPort()
    {
        // `codex login` waits on 127.0.0.1:1455 too and stops on its own GET /cancel: Latchkey must never send that.
        using var codex = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        codex.Start();
        var port = ((IPEndPoint)codex.LocalEndpoint).Port;
        var paths = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await codex.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var n = await stream.ReadAsync(buffer, stop.Token);
                paths.Enqueue(System.Text.Encoding.ASCII.GetString(buffer, 0, n).Split(' ')[1]);
                await stream.WriteAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), stop.Token);
            }
        });

        var browser = new CallbackBrowser(realHttp);
        var run = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, browser, ui) { PreferredPort = port }
            .RunAsync(Metadata(), "latchkey-cli", [], TimeSpan.FromMilliseconds(2500), CancellationToken.None);
        var q = System.Web.HttpUtility.ParseQueryString((await browser.Opened.Task).Query);

        Assert.NotEqual(port, new Uri(q["redirect_uri"]!).Port);
        Assert.DoesNotContain("/cancel", paths);
        await Assert.ThrowsAsync<LatchkeyException>(() => run);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);
    }

    [Fact]
    public async Task Browser_Timeout_EndsCleanlyAndReleasesThePort()
    {
        var browser = new CallbackBrowser(realHttp);
        var run = new BrowserLogin(new OAuthClient(fakeHttp), realHttp, browser, ui) { PreferredPort = 0 }
            .RunAsync(Metadata(), "latchkey-cli", [], TimeSpan.FromMilliseconds(300), CancellationToken.None);
        var q = System.Web.HttpUtility.ParseQueryString((await browser.Opened.Task).Query);

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => run);

        Assert.Equal(ErrorCodes.LoginTimedOut, ex.Code);
        var port = new Uri(q["redirect_uri"]!).Port;
        using var rebind = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        rebind.Start();
    }

    public void Dispose()
    {
        fakeHttp.Dispose();
        realHttp.Dispose();
        server.Dispose();
    }

    private sealed class CallbackBrowser(HttpClient http) : IBrowserLauncher
    {
        public TaskCompletionSource<Uri> Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HttpClient Http => http;

        public bool TryOpen(string url)
        {
            Opened.TrySetResult(new Uri(url));
            return true;
        }
    }

    private sealed class RecordingUi : ILoginUi
    {
        public string? UserCode { get; private set; }

        public void ShowAuthorizeUrl(string url, bool opened)
        {
        }

        public void ShowDeviceCode(string verificationUri, string userCode, string? verificationUriComplete, TimeSpan expiresIn) => UserCode = userCode;

        public void ShowWaiting(TimeSpan elapsed)
        {
        }

        public void ShowNotice(string message)
        {
        }
    }
}
