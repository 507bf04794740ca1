using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;
using Latchkey.Tests.Fakes;

namespace Latchkey.Server.Tests.Gateway;

/// <summary>The model gateway in front of a real (loopback) upstream that streams a Responses reply.</summary>
public sealed class ModelGatewayTests : IAsyncLifetime
{
    private FakeResponsesUpstream upstream = null!;
    private LatchkeyServerFactory factory = null!;
    private Team team = null!;

    public async ValueTask InitializeAsync()
    {
        upstream = await FakeResponsesUpstream.StartAsync();
        factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
        {
            ["Latchkey:Gateway:Upstreams:0:Name"] = "openai",
            ["Latchkey:Gateway:Upstreams:0:BaseUrl"] = upstream.BaseUrl,
            ["Latchkey:Gateway:Upstreams:0:ApiKey"] = FakeResponsesUpstream.ApiKey,
            ["Latchkey:Gateway:Upstreams:0:Default"] = "true",
            ["Latchkey:Gateway:Upstreams:0:Organization"] = "org-operator",
            ["Latchkey:Gateway:Upstreams:0:Project"] = "proj-operator",
            ["Latchkey:Gateway:RequestTimeout"] = "00:00:03",
            ["Latchkey:Gateway:MaxRequestBytes"] = "65536",
        });
        team = await Team.CreateAsync(factory, ("member", WorkspaceRoles.Member));
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        await upstream.DisposeAsync();
    }

    private static HttpRequestMessage Responses(string bearer, string model = "lk-test-model")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/responses", UriKind.Relative))
        {
            Content = new StringContent($"{{\"model\":\"{model}\",\"input\":\"hi\",\"stream\":true}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Add("chatgpt-account-id", "ws_whatever");
        return request;
    }

    [Fact]
    public async Task An_oauth_access_token_streams_the_reply_event_by_event_with_the_upstream_key_injected()
    {
        using var client = factory.CreateClient();
        var watch = Stopwatch.StartNew();
        using var response = await client.SendAsync(Responses(team.Members["member"].AccessToken), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        var firstAt = watch.Elapsed;
        var rest = await reader.ReadToEndAsync();
        var allAt = watch.Elapsed;

        Assert.Equal("event: response.created", first);
        Assert.Contains("response.completed", rest, StringComparison.Ordinal);
        // Not buffered: the first event arrives long before the last (the upstream pauses 200 ms between events).
        Assert.True(allAt - firstAt > TimeSpan.FromMilliseconds(800), $"first at {firstAt}, all at {allAt}");

        var forwarded = upstream.Requests.Single(r => r.Path == "/v1/responses");
        Assert.Equal("Bearer " + FakeResponsesUpstream.ApiKey, forwarded.Authorization);
        Assert.DoesNotContain(team.Members["member"].AccessToken, string.Join("\n", forwarded.Headers.Values), StringComparison.Ordinal);
        Assert.False(forwarded.Headers.ContainsKey("chatgpt-account-id"));

        await factory.FlushUsageEventsAsync();
        var usage = Assert.Single(await factory.Get<AuditRepository>().QueryAsync("gateway.request", team.Members["member"].User.Id, 10, CancellationToken.None));
        Assert.Equal(team.WorkspaceId, usage.WorkspaceId);
        var detail = System.Text.Json.Nodes.JsonNode.Parse(usage.Detail!)!;
        Assert.Equal("lk-test-model", detail["model"]!.GetValue<string>());
        Assert.Equal(200, detail["status"]!.GetValue<int>());
        Assert.Equal("oauth", detail["credential"]!.GetValue<string>());
        Assert.True(detail["bytes_out"]!.GetValue<long>() > 500);
    }

    [Fact]
    public async Task Caller_headers_outside_the_allow_list_are_dropped_and_billing_comes_only_from_configuration()
    {
        // OWASP ASVS 5.0 V13.2 (least privilege toward back ends): the operator's key is sent with the operator's
        // organisation and project; a caller cannot pick who is billed, pose as another address, or add headers.
        factory.Get<Microsoft.Extensions.Options.IOptions<Configuration.LatchkeyServerOptions>>().Value.Gateway.Upstreams[0]
            .Workspaces[team.WorkspaceId] = new Configuration.GatewayBillingOptions { Project = "proj-this-workspace" };
        using var client = factory.CreateClient();
        using var request = Responses(team.Members["member"].AccessToken);
        foreach (var (name, value) in new[]
        {
            ("OpenAI-Organization", "org-attacker"), ("OpenAI-Project", "proj-attacker"), ("Forwarded", "for=203.0.113.9"),
            ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Host", "evil.example"), ("X-Real-IP", "203.0.113.9"), ("X-Custom", "anything"),
            ("api-key", "sk-attacker"), ("Cookie", "a=b"), ("Idempotency-Key", "idem-1"), ("OpenAI-Beta", "responses=experimental"),
            ("X-Client-Request-Id", "req-1"), ("Accept", "text/event-stream"),
        })
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = upstream.Requests.Single(r => r.Path == "/v1/responses");
        Assert.Equal("Bearer " + FakeResponsesUpstream.ApiKey, forwarded.Authorization);
        Assert.Equal("org-operator", forwarded.Headers["OpenAI-Organization"]);
        Assert.Equal("proj-this-workspace", forwarded.Headers["OpenAI-Project"]);
        Assert.Equal("idem-1", forwarded.Headers["Idempotency-Key"]);
        Assert.Equal("responses=experimental", forwarded.Headers["OpenAI-Beta"]);
        Assert.Equal("req-1", forwarded.Headers["X-Client-Request-Id"]);
        Assert.Equal("text/event-stream", forwarded.Headers["Accept"]);
        Assert.StartsWith("application/json", forwarded.Headers["Content-Type"], StringComparison.Ordinal);
        foreach (var dropped in new[] { "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "X-Custom", "api-key", "Cookie", "chatgpt-account-id" })
        {
            Assert.False(forwarded.Headers.ContainsKey(dropped), dropped);
        }

        Assert.DoesNotContain(forwarded.Headers.Values, v => v.Contains("attacker", StringComparison.Ordinal) || v.Contains("203.0.113.9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Access_tokens_and_api_keys_work_and_revoked_ones_do_not()
    {
        var (_, token) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "gw", expiration = "7d" });
        var (_, key) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/api-keys"), new { name = "gw key" });
        foreach (var bearer in new[] { token!["token"]!.GetValue<string>(), key!["key"]!.GetValue<string>() })
        {
            using var models = team.ClientFor(bearer);
            var (status, body) = await models.SendAsync(HttpMethod.Get, "/v1/models");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("lk-test-model", body!["data"]![0]!["id"]!.GetValue<string>());
        }

        await team.Client("owner").SendAsync(HttpMethod.Delete, team.Url($"/access-tokens/{token["id"]!.GetValue<string>()}"));
        await team.Client("owner").SendAsync(HttpMethod.Delete, team.Url($"/api-keys/{key["id"]!.GetValue<string>()}"));
        foreach (var bearer in new[] { token["token"]!.GetValue<string>(), key["key"]!.GetValue<string>(), "garbage", team.Members["member"].AccessToken + "x" })
        {
            var (status, body) = await team.ClientFor(bearer).SendAsync(HttpMethod.Get, "/v1/models");
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.False(string.IsNullOrEmpty(body!["error"]!["message"]!.GetValue<string>()));
        }

        Assert.Equal(2, upstream.Requests.Count);
        await factory.FlushUsageEventsAsync();
        var events = await factory.Get<AuditRepository>().QueryAsync("gateway.request", null, 10, CancellationToken.None);
        Assert.Contains(events, e => e.ClientId == "api_key" && e.UserId is null && e.WorkspaceId == team.WorkspaceId);
    }

    [Fact]
    public async Task Local_access_off_refuses_members_with_the_403_message_while_api_keys_follow_api_settings()
    {
        var (_, key) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/api-keys"), new { name = "service" });
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = false });

        using var client = factory.CreateClient();
        using var refused = await client.SendAsync(Responses(team.Members["member"].AccessToken));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("403 - Unauthorized. Contact your workspace administrator for access.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(upstream.Requests);

        using var service = await client.SendAsync(Responses(key!["key"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, service.StatusCode);
    }

    [Fact]
    public async Task A_hanging_upstream_gives_504_in_bounded_time_and_a_missing_one_502()
    {
        upstream.Hang = true;
        using var client = factory.CreateClient();
        var watch = Stopwatch.StartNew();
        using var slow = await client.SendAsync(Responses(team.Members["owner"].AccessToken));
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));

        await upstream.DisposeAsync();
        using var gone = await client.SendAsync(Responses(team.Members["owner"].AccessToken));
        Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
        Assert.Contains("could not reach its upstream", await gone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        upstream = await FakeResponsesUpstream.StartAsync();
    }

    [Fact]
    public async Task Oversized_requests_are_refused_with_413_and_not_forwarded()
    {
        using var client = factory.CreateClient();
        using var request = Responses(team.Members["owner"].AccessToken);
        request.Content = new StringContent("{\"model\":\"m\",\"input\":\"" + new string('x', 70_000) + "\"}", Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(upstream.Requests);
    }
}
