using System.Net;
using Latchkey.Client.Credentials;

using Latchkey.Client.OAuth;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Client.Tests;

public sealed class AuthHandlerTests : IDisposable
{
    private readonly FakeAuthorizationServer authServer = new();
    private readonly HttpClient authHttp;
    private readonly ManualClock clock = new();
    private readonly InMemoryCredentialStore store = new();
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-handler-" + Guid.NewGuid().ToString("N"));

    public AuthHandlerTests() => authHttp = new HttpClient(authServer);

    [Fact]
    public async Task Unauthorized_RefreshesOnceAndRetriesWithTheNewToken()
    {
        var manager = new AuthManager(store, new OAuthClient(authHttp), new LatchkeyClientOptions { Home = home }, clock);
        await manager.CompleteLoginAsync(
            new TokenResponse { AccessToken = TestTokens.Jwt(clock.GetUtcNow().AddHours(1)), IdToken = TestTokens.Jwt(clock.GetUtcNow().AddHours(1)), RefreshToken = "refresh-1" },
            FakeAuthorizationServer.Issuer, "latchkey-cli", CancellationToken.None);
        var first = (await store.LoadAsync(CancellationToken.None))!.Tokens!.AccessToken;
        authServer.OnJson("POST", "/oauth/token", 200, TestTokens.TokenReply(clock.GetUtcNow().AddHours(2)));
        var api = new RecordingApi(firstStatus: HttpStatusCode.Unauthorized);
        using var client = new HttpClient(new LatchkeyAuthHandler(new LatchkeyClient(manager, null)) { InnerHandler = api });

        var response = await client.GetAsync(new Uri("http://127.0.0.1:1/v1/models"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, api.Authorizations.Count);
        Assert.Equal("Bearer " + first, api.Authorizations[0]);
        Assert.Equal("Bearer " + (await store.LoadAsync(CancellationToken.None))!.Tokens!.AccessToken, api.Authorizations[1]);
        Assert.NotEqual(api.Authorizations[0], api.Authorizations[1]);
    }

    [Fact]
    public void AddLatchkeyClient_RegistersAuthManagerAndNamedClient()
    {
        var services = new ServiceCollection();
        services.AddLatchkeyClient(o => { o.Home = home; o.Store = store; });
        using var provider = services.BuildServiceProvider();

        Assert.Same(store, provider.GetRequiredService<LatchkeyClient>().Auth.Store);
        Assert.NotNull(provider.GetRequiredService<IHttpClientFactory>().CreateClient("latchkey"));
    }

    public void Dispose()
    {
        authHttp.Dispose();
        authServer.Dispose();
    }

    private sealed class RecordingApi(HttpStatusCode firstStatus) : HttpMessageHandler
    {
        public List<string> Authorizations { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorizations.Add(request.Headers.Authorization!.ToString());
            return Task.FromResult(new HttpResponseMessage(Authorizations.Count == 1 ? firstStatus : HttpStatusCode.OK));
        }
    }
}
