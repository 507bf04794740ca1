using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>RFC 8628 device authorization grant over HTTP, on each engine.</summary>
public abstract class DeviceFlowTests(DatabaseEngine engine) : ServerTest(engine)
{
    private async Task<JsonObject> StartAsync(string clientId = OAuthFlows.CliClient)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = clientId, ["scope"] = "openid offline_access" });
        var response = await Factory.CreateClient().PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private Task<(HttpStatusCode Status, JsonObject Body)> PollAsync(string deviceCode)
        => OAuthFlows.TokenAsync(Factory.CreateClient(), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = deviceCode,
            ["client_id"] = OAuthFlows.CliClient,
        });

    [Fact]
    public async Task DeviceAuthorization_ReturnsRfc8628Section3_2Response()
    {
        var start = await StartAsync();

        var userCode = (string)start["user_code"]!;
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", userCode);
        Assert.Equal(LatchkeyServerFactory.Issuer + "/device", (string?)start["verification_uri"]);
        Assert.Equal(LatchkeyServerFactory.Issuer + "/device?user_code=" + userCode, (string?)start["verification_uri_complete"]);
        Assert.Equal(900, (long)start["expires_in"]!);
        Assert.Equal(5, (long)start["interval"]!);
    }

    [Fact]
    public async Task Poll_Pending_ThenSlowDownWhenTooFast_Rfc8628Section3_5()
    {
        var start = await StartAsync();
        var device = (string)start["device_code"]!;

        var first = await PollAsync(device);
        var tooFast = await PollAsync(device);
        Factory.Clock.Advance(TimeSpan.FromSeconds(9));
        var stillTooFast = await PollAsync(device); // interval is now 10 s
        Factory.Clock.Advance(TimeSpan.FromSeconds(15));
        var ok = await PollAsync(device);

        Assert.Equal("authorization_pending", (string?)first.Body["error"]);
        Assert.Equal("slow_down", (string?)tooFast.Body["error"]);
        Assert.Equal("slow_down", (string?)stillTooFast.Body["error"]);
        Assert.Equal("authorization_pending", (string?)ok.Body["error"]);
    }

    [Fact]
    public async Task ApproveInBrowser_ThenPollReturnsTokens_OnlyOnce()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartAsync();
        var userCode = ((string)start["user_code"]!).ToLowerInvariant().Replace("-", string.Empty, StringComparison.Ordinal);

        var (confirm, html) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = userCode }, "/device?handler=lookup");
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Equal("Latchkey CLI", WebSession.Element(html, "client-name"));
        var token = WebSession.Hidden(html, "__RequestVerificationToken")!;
        var (approved, done) = await session.PostAsync("/device?handler=decide", new Dictionary<string, string>
        {
            ["user_code"] = (string)start["user_code"]!,
            ["decision"] = "approve",
            ["workspace_id"] = user.WorkspaceId,
            ["__RequestVerificationToken"] = token,
        });
        Assert.Contains("Device approved", done, StringComparison.Ordinal);

        Factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var tokens = await PollAsync((string)start["device_code"]!);
        var again = await PollAsync((string)start["device_code"]!);

        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.NotNull(tokens.Body["refresh_token"]);
        Assert.NotNull(tokens.Body["id_token"]);
        Assert.Equal("invalid_grant", (string?)again.Body["error"]);
    }

    private async Task<long> GrantCountAsync(string userId)
    {
        await using var c = await Factory.Database.CreateFactory().OpenAsync(CancellationToken.None);
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM grants WHERE user_id = @userId", new { userId });
    }

    private async Task ApproveAsync(string userCode, TestUser user)
        => Assert.True(await Factory.Get<Latchkey.Server.Storage.Repositories.DeviceCodeRepository>().TryDecideAsync(
            Latchkey.Protocol.Tokens.SecretDigest.Compute(Latchkey.Server.OAuth.UserCodes.Normalize(userCode)!), "approved", user.Id, user.WorkspaceId,
            Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), null, Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None));

    [Fact]
    public async Task ConcurrentPollsOfAnApprovedCode_ExactlyOneGrant_Rfc8628Section3_5()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        var start = await StartAsync();
        await ApproveAsync((string)start["user_code"]!, user);
        var before = await GrantCountAsync(user.Id);

        var polls = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => PollAsync((string)start["device_code"]!)));

        Assert.Single(polls, p => p.Status == HttpStatusCode.OK);
        Assert.All(polls.Where(p => p.Status != HttpStatusCode.OK), p => Assert.Equal("invalid_grant", (string?)p.Body["error"]));
        Assert.Equal(before + 1, await GrantCountAsync(user.Id)); // before the fix: up to 5 grants, one delivered
    }

    [Fact]
    public async Task ConcurrentCodexPollsOfAnApprovedCode_OneAuthorizationCode_OneGrant()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var startResponse = await Factory.CreateClient().PostAsync(new Uri("/api/accounts/deviceauth/usercode", UriKind.Relative),
            new StringContent("{\"client_id\":\"codex-cli\"}", System.Text.Encoding.UTF8, "application/json"));
        var start = JsonNode.Parse(await startResponse.Content.ReadAsStringAsync())!;
        await ApproveAsync((string)start["user_code"]!, user);
        var before = await GrantCountAsync(user.Id);
        var body = new JsonObject { ["device_auth_id"] = (string)start["device_auth_id"]!, ["user_code"] = (string)start["user_code"]! }.ToJsonString();

        var polls = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await Factory.CreateClient().PostAsync(new Uri("/api/accounts/deviceauth/token", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            return (response.StatusCode, Body: JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        }));
        var winner = Assert.Single(polls, p => p.StatusCode == HttpStatusCode.OK);
        var (exchanged, _) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(),
            (string)winner.Body["authorization_code"]!, (string)winner.Body["code_verifier"]!, LatchkeyServerFactory.Issuer + "/deviceauth/callback", "codex-cli");

        Assert.Equal(HttpStatusCode.OK, exchanged);
        Assert.All(polls.Where(p => p.StatusCode != HttpStatusCode.OK), p => Assert.Equal(HttpStatusCode.BadRequest, p.StatusCode));
        Assert.Equal(before + 1, await GrantCountAsync(user.Id));
    }

    [Fact]
    public async Task Deny_ThenPollReturnsAccessDenied()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartAsync();

        var (_, html) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = (string)start["user_code"]! }, "/device?handler=lookup");
        await session.PostAsync("/device?handler=decide", new Dictionary<string, string>
        {
            ["user_code"] = (string)start["user_code"]!,
            ["decision"] = "deny",
            ["__RequestVerificationToken"] = WebSession.Hidden(html, "__RequestVerificationToken")!,
        });

        Assert.Equal("access_denied", (string?)(await PollAsync((string)start["device_code"]!)).Body["error"]);
    }

    [Fact]
    public async Task Expired_ReturnsExpiredToken_AndCannotBeApproved()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartAsync();
        Factory.Clock.Advance(TimeSpan.FromMinutes(15));

        var (lookup, _) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = (string)start["user_code"]! }, "/device?handler=lookup");

        Assert.Equal(HttpStatusCode.BadRequest, lookup.StatusCode);
        Assert.Equal("expired_token", (string?)(await PollAsync((string)start["device_code"]!)).Body["error"]);
    }

    [Fact]
    public async Task WrongCodes_AreLimited_Rfc8628Section5_1()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartAsync();

        for (var i = 0; i < 10; i++)
        {
            var (wrong, _) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = "BBBB-BBBB" }, "/device?handler=lookup");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        var (blocked, body) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = (string)start["user_code"]! }, "/device?handler=lookup");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("Too many wrong codes", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevicePage_RequiresSignIn()
    {
        using var anonymous = new WebSession(Factory);
        var (response, _) = await anonymous.GetAsync("/device?user_code=BBBB-CCCC");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/login", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientWithoutDeviceGrant_IsRefused()
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{LatchkeyServerFactory.ResourceServerId}:{LatchkeyServerFactory.ResourceServerSecret}")));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>());

        var response = await client.PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unauthorized_client", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed class SqliteDeviceFlowTests() : DeviceFlowTests(DatabaseEngine.Sqlite);

public sealed class PostgresDeviceFlowTests() : DeviceFlowTests(DatabaseEngine.Postgres);

public sealed class DeviceFlowDisabledTests() : ServerTest(settings: new Dictionary<string, string?> { ["Latchkey:DeviceAuthorizationEnabled"] = "false" })
{
    [Fact]
    public async Task SwitchedOff_EndpointRefusesAndDiscoveryOmitsIt()
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = OAuthFlows.CliClient });
        var response = await Factory.CreateClient().PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form);
        var discovery = JsonNode.Parse(await Factory.CreateClient().GetStringAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative)))!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("switched off", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(discovery["device_authorization_endpoint"]);
    }
}
