using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;
using Latchkey.Tests.Fakes;

namespace Latchkey.Server.Tests.Workspaces;

public sealed class MemberRemovalSqliteTests() : MemberRemovalTests(DatabaseEngine.Sqlite);

public sealed class MemberRemovalPostgresTests() : MemberRemovalTests(DatabaseEngine.Postgres);

/// <summary>
/// Removing a member ends their sign-in for that workspace at that moment, on every bearer endpoint: their grants
/// are revoked with the membership, and every credential is checked against the membership as it is now
/// (RFC 6750 §3.1 invalid_token; RFC 7662 §2.2 introspection answers active:false). Before, the member's access JWT
/// kept working at userinfo, /api/v1/me and the wham check, and introspection said active:true, until it expired.
/// </summary>
public abstract class MemberRemovalTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FakeResponsesUpstream upstream = null!;
    private LatchkeyServerFactory factory = null!;

    public async ValueTask InitializeAsync()
    {
        upstream = await FakeResponsesUpstream.StartAsync();
        factory = await LatchkeyServerFactory.StartAsync(engine, new Dictionary<string, string?>
        {
            ["Latchkey:Gateway:UpstreamBaseUrl"] = upstream.BaseUrl,
            ["Latchkey:Gateway:UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        await upstream.DisposeAsync();
    }

    [Fact]
    public async Task Removal_refuses_the_members_sign_in_and_tokens_everywhere_at_once_RFC6750_3_1_RFC7662_2_2()
    {
        var team = await Team.CreateAsync(factory, ("admin", WorkspaceRoles.Admin));
        var member = await TestAccounts.CreateEnrolledAsync(factory);
        Assert.True(await factory.Get<WorkspaceRepository>().AddMemberAsync(team.WorkspaceId, member.Id, WorkspaceRoles.Admin, 1, CancellationToken.None));
        var tokens = await SignInAsync(member, team.WorkspaceId);
        var jwt = tokens["access_token"]!.GetValue<string>();
        var (_, created) = await team.ClientFor(jwt).SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "7d" });
        var automation = created!["token"]!.GetValue<string>();

        var before = await ProbeAsync(team, jwt, automation);
        Assert.Equal("200 200 200 active 200 200 200", before);

        Assert.Equal(HttpStatusCode.NoContent, (await team.Client("owner").SendAsync(HttpMethod.Delete, team.Url($"/members/{member.Id}"))).Status);

        // userinfo, /api/v1/me, wham check, introspection, gateway (JWT), whoami and gateway (at- token).
        Assert.Equal("401 401 401 inactive 401 401 401", await ProbeAsync(team, jwt, automation));

        // The sign-in itself is over: its refresh token no longer works, and no live grant remains for the workspace.
        var (status, refreshed) = await OAuthFlows.RefreshAsync(factory.CreateClient(), tokens["refresh_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", refreshed["error"]!.GetValue<string>()); // RFC 6749 §5.2
        var live = await factory.Get<GrantRepository>().ListActiveSignInsForUserAsync(member.Id, factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        Assert.DoesNotContain(live, g => g.WorkspaceId == team.WorkspaceId);

        // Their sign-in to their own workspace is untouched.
        Assert.NotEmpty(live);
    }

    /// <summary>
    /// The hot paths: a gateway request resolves its caller in one query and records its usage in a second, whatever
    /// the credential; /api/v1/me reads the caller and the memberships. "Last used" of an at- token is written at most
    /// once a minute, so the warm-up request pays that write.
    /// </summary>
    [Fact]
    public async Task A_bearer_request_costs_at_most_two_database_round_trips()
    {
        var team = await Team.CreateAsync(factory, ("member", WorkspaceRoles.Member));
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true });
        var (_, created) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "7d" });
        var automation = created!["token"]!.GetValue<string>();
        var jwt = team.Members["member"].AccessToken;
        var counter = factory.Get<CountingConnectionFactory>();
        Assert.Equal(200, await GatewayAsync(jwt));
        Assert.Equal(200, await GatewayAsync(automation));

        // Usage events are written off the request path in batches: flushed before and after each request, so the
        // batch write lands inside the counted window, and a single request's usage row still counts as one.
        var gatewayJwt = await CountAsync(counter, () => GatewayAsync(jwt));
        var gatewayToken = await CountAsync(counter, () => GatewayAsync(automation));
        var me = await CountAsync(counter, async () => Assert.Equal(HttpStatusCode.OK, (await team.ClientFor(jwt).SendAsync(HttpMethod.Get, "/api/v1/me")).Status));
        var members = await CountAsync(counter, async () => Assert.Equal(HttpStatusCode.OK, (await team.Client("owner").SendAsync(HttpMethod.Get, team.Url("/members"))).Status));

        var figures = $"gateway(jwt)={gatewayJwt} gateway(at-)={gatewayToken} me={me} members={members}";
        Assert.True(gatewayJwt <= 2 && gatewayToken <= 2 && me <= 2 && members <= 2, figures);
        TestContext.Current.SendDiagnosticMessage(figures);
    }

    private async Task<int> CountAsync(CountingConnectionFactory counter, Func<Task> request)
    {
        await factory.FlushUsageEventsAsync();
        counter.Reset();
        await request();
        await factory.FlushUsageEventsAsync();
        return counter.Opened;
    }

    private async Task<int> CountAsync(CountingConnectionFactory counter, Func<Task<int>> gatewayRequest)
        => await CountAsync(counter, async () => Assert.Equal(200, await gatewayRequest()));

    private async Task<JsonObject> SignInAsync(TestUser user, string workspaceId)
    {
        using var session = await TestAccounts.SignInAsync(factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = workspaceId });
        var (status, tokens) = await OAuthFlows.ExchangeAsync(factory.CreateClient(), code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);

        // A second sign-in, to the user's own workspace, which the removal must leave alone.
        using var own = await TestAccounts.SignInAsync(factory, user);
        var (ownCode, ownVerifier) = await OAuthFlows.GetCodeAsync(own, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = user.WorkspaceId });
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.ExchangeAsync(factory.CreateClient(), ownCode, ownVerifier)).Status);
        return tokens;
    }

    private async Task<string> ProbeAsync(Team team, string jwt, string automation)
    {
        var bearer = team.ClientFor(jwt);
        var userinfo = (int)(await bearer.GetAsync(new Uri("/oauth/userinfo", UriKind.Relative))).StatusCode;
        var me = (int)(await bearer.SendAsync(HttpMethod.Get, "/api/v1/me")).Status;
        var wham = (int)(await bearer.GetAsync(new Uri("/backend-api/wham/accounts/check", UriKind.Relative))).StatusCode;

        using var introspection = factory.CreateClient();
        introspection.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LatchkeyServerFactory.ResourceServerId}:{LatchkeyServerFactory.ResourceServerSecret}")));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = jwt });
        var answer = JsonNode.Parse(await (await introspection.PostAsync(new Uri("/oauth/introspect", UriKind.Relative), form)).Content.ReadAsStringAsync())!;
        var active = answer["active"]!.GetValue<bool>() ? "active" : "inactive";

        var gateway = await GatewayAsync(jwt);
        var whoami = (int)(await team.ClientFor(automation).GetAsync(new Uri("/api/accounts/v1/user-auth-credential/whoami", UriKind.Relative))).StatusCode;
        var gatewayWithToken = await GatewayAsync(automation);
        return $"{userinfo} {me} {wham} {active} {gateway} {whoami} {gatewayWithToken}";
    }

    private async Task<int> GatewayAsync(string bearer)
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/responses", UriKind.Relative))
        {
            Content = new StringContent("{\"model\":\"lk-test-model\",\"input\":\"hi\",\"stream\":true}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }
}
