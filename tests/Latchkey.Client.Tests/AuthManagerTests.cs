using System.Text.Json.Nodes;
using Latchkey.Client.Credentials;
using Latchkey.Client.OAuth;

namespace Latchkey.Client.Tests;

public sealed class AuthManagerTests : IDisposable
{
    private readonly FakeAuthorizationServer server = new();
    private readonly HttpClient http;
    private readonly ManualClock clock = new();
    private readonly InMemoryCredentialStore store = new();
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-am-" + Guid.NewGuid().ToString("N"));

    public AuthManagerTests() => http = new HttpClient(server);

    private AuthManager Manager(IReadOnlyList<string>? allowed = null, TimeSpan? retryBudget = null)
        => new(store, new OAuthClient(http), new LatchkeyClientOptions { Home = home, AllowedWorkspaceIds = allowed ?? [], RefreshRetryBudget = retryBudget ?? TimeSpan.Zero }, clock);

    private async Task SignedInAsync(TimeSpan accessLeft, string refresh = "refresh-1")
        => await Manager().CompleteLoginAsync(
            new TokenResponse { AccessToken = TestTokens.Jwt(clock.GetUtcNow() + accessLeft), IdToken = TestTokens.Jwt(clock.GetUtcNow() + accessLeft), RefreshToken = refresh },
            FakeAuthorizationServer.Issuer,
            "latchkey-cli",
            CancellationToken.None);

    [Fact]
    public async Task GetCredential_NotSignedIn_Throws()
    {
        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => Manager().GetCredentialAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.NotSignedIn, ex.Code);
    }

    [Fact]
    public async Task GetCredential_PlentyOfTimeLeft_NoNetwork()
    {
        await SignedInAsync(TimeSpan.FromMinutes(6));

        var credential = await Manager().GetCredentialAsync(CancellationToken.None);

        Assert.Equal(LoginMethod.Workspace, credential.Method);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task GetCredential_UnderFiveMinutesLeft_RefreshesAndSaves()
    {
        await SignedInAsync(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        server.OnJson("POST", "/oauth/token", 200, TestTokens.TokenReply(clock.GetUtcNow() + TimeSpan.FromHours(1)));

        var credential = await Manager().GetCredentialAsync(CancellationToken.None);

        var saved = await store.LoadAsync(CancellationToken.None);
        Assert.Equal("refresh-2", saved!.Tokens!.RefreshToken);
        Assert.Equal(saved.Tokens.AccessToken, credential.BearerToken);
        var request = Assert.Single(server.Requests);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("refresh_token", (string?)body["grant_type"]);
        Assert.Equal("refresh-1", (string?)body["refresh_token"]);
        Assert.Equal("latchkey-cli", (string?)body["client_id"]);
    }

    [Fact]
    public async Task Refresh_ReplyWithoutSomeTokens_KeepsTheOldOnes()
    {
        await SignedInAsync(TimeSpan.FromMinutes(1));
        var oldId = (await store.LoadAsync(CancellationToken.None))!.Tokens!.IdToken;
        server.OnJson("POST", "/oauth/token", 200, new JsonObject { ["access_token"] = TestTokens.Jwt(clock.GetUtcNow() + TimeSpan.FromHours(1)) });

        await Manager().GetCredentialAsync(CancellationToken.None);

        var saved = (await store.LoadAsync(CancellationToken.None))!.Tokens!;
        Assert.Equal("refresh-1", saved.RefreshToken);
        Assert.Equal(oldId, saved.IdToken);
    }

    [Fact]
    public async Task Refresh_AnotherProcessAlreadyRefreshed_SkipsTheNetwork()
    {
        await SignedInAsync(TimeSpan.FromMinutes(1), refresh: "newer");

        var result = await Manager().RefreshAsync("stale", CancellationToken.None);

        Assert.Equal("newer", result.Tokens!.RefreshToken);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Refresh_TransientFailure_RetriedWithTheSameToken_AnswerSaved()
    {
        await SignedInAsync(TimeSpan.FromMinutes(1));
        var calls = 0;
        server.On("POST", "/oauth/token", (_, _) => ++calls < 3
            ? new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway) { Content = new StringContent("restarting") }
            : new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(TestTokens.TokenReply(clock.GetUtcNow() + TimeSpan.FromHours(1)).ToJsonString(), System.Text.Encoding.UTF8, "application/json") });

        await Manager(retryBudget: TimeSpan.FromSeconds(45)).GetCredentialAsync(CancellationToken.None);

        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("refresh-1", (string?)JsonNode.Parse(r.Body)!["refresh_token"]));
        Assert.Equal("refresh-2", (await store.LoadAsync(CancellationToken.None))!.Tokens!.RefreshToken);
    }

    [Fact]
    public async Task Refresh_CancelledAfterTheServerAnswered_TokensStillSaved()
    {
        await SignedInAsync(TimeSpan.FromMinutes(1));
        using var cts = new CancellationTokenSource();
        server.On("POST", "/oauth/token", (_, _) =>
        {
            cts.Cancel(); // Ctrl+C while the request is in flight
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(TestTokens.TokenReply(clock.GetUtcNow() + TimeSpan.FromHours(1)).ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        });

        try
        {
            await Manager().GetCredentialAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Interrupted is fine; losing the answer is not.
        }

        Assert.Equal("refresh-2", (await store.LoadAsync(CancellationToken.None))!.Tokens!.RefreshToken);
    }

    [Theory]
    [InlineData(400, "{\"error\":\"invalid_grant\",\"code\":\"refresh_token_reused\"}", "Reused", true)]
    [InlineData(400, "{\"error\":\"refresh_token_expired\"}", "Expired", true)]
    [InlineData(401, "{\"error\":{\"code\":\"refresh_token_invalidated\"}}", "Revoked", true)]
    [InlineData(400, "{\"error\":\"invalid_grant\"}", "Other", true)]
    [InlineData(503, "upstream down", "Other", false)]
    public async Task Refresh_Failures_AreClassified(int status, string body, string reasonName, bool permanent)
    {
        var reason = Enum.Parse<RefreshFailureReason>(reasonName);
        await SignedInAsync(TimeSpan.FromMinutes(1));
        server.On("POST", "/oauth/token", (_, _) => new HttpResponseMessage((System.Net.HttpStatusCode)status) { Content = new StringContent(body) });

        var ex = await Assert.ThrowsAsync<RefreshFailedException>(() => Manager().GetCredentialAsync(CancellationToken.None));

        Assert.Equal(reason, ex.Reason);
        Assert.Equal(permanent, ex.IsPermanent);
        if (reason == RefreshFailureReason.Reused)
        {
            Assert.Equal(RefreshFailedException.ReusedMessage, ex.Message);
        }

        Assert.Equal("refresh-1", (await store.LoadAsync(CancellationToken.None))!.Tokens!.RefreshToken);
    }

    [Fact]
    public async Task CompleteLogin_OtherWorkspace_IsRefusedNothingSavedAndTheGrantRevoked()
    {
        var tokens = new TokenResponse { AccessToken = TestTokens.Jwt(clock.GetUtcNow().AddHours(1), "ws_other"), IdToken = TestTokens.Jwt(clock.GetUtcNow().AddHours(1), "ws_other"), RefreshToken = "r" };
        server.On("POST", "/oauth/revoke", (_, _) => new HttpResponseMessage(System.Net.HttpStatusCode.OK));

        var ex = await Assert.ThrowsAsync<LatchkeyException>(() => Manager(["ws_a", "ws_b"]).CompleteLoginAsync(tokens, FakeAuthorizationServer.Issuer, "latchkey-cli", CancellationToken.None));

        Assert.Equal("Login is restricted to workspace id(s) ws_a, ws_b.", ex.Message);
        Assert.Null(await store.LoadAsync(CancellationToken.None));
        // A sign-in this client refuses to keep is not left live at the server (RFC 7009).
        Assert.Contains(server.Requests, r => r.Path == "/oauth/revoke" && r.Body.Contains("token=r&", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logout_RevokesRefreshTokenThenDeletes_Rfc7009()
    {
        await SignedInAsync(TimeSpan.FromHours(1));
        server.On("POST", "/oauth/revoke", (_, _) => new HttpResponseMessage(System.Net.HttpStatusCode.OK));

        var result = await Manager().LogoutAsync(CancellationToken.None);

        Assert.Equal(LogoutResult.RevokedAndRemoved, result);
        Assert.Contains("token=refresh-1", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Logout_ServerUnreachable_StillDeletesAndSaysSo()
    {
        await SignedInAsync(TimeSpan.FromHours(1));
        server.On("POST", "/oauth/revoke", (_, _) => throw new HttpRequestException("connection refused"));

        Assert.Equal(LogoutResult.RemovedServerUnreachable, await Manager().LogoutAsync(CancellationToken.None));
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Logout_NotSignedIn_SaysSo()
        => Assert.Equal(LogoutResult.NotSignedIn, await Manager().LogoutAsync(CancellationToken.None));

    [Fact]
    public void ValidateSecretFormat_WrongKind_NamesTheRightFlag()
    {
        var accessToken = Latchkey.Protocol.Tokens.TokenFormat.Generate("at-");

        var ex = Assert.Throws<LatchkeyException>(() => AuthManager.ValidateSecretFormat(accessToken, LoginMethod.ApiKey));

        Assert.Contains("--with-access-token", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(accessToken, ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        http.Dispose();
        server.Dispose();
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
