using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>The authorization code flow end to end over HTTP, on each storage engine.</summary>
public abstract class CodeFlowTests(DatabaseEngine engine) : ServerTest(engine)
{
    [Fact]
    public async Task CodeFlow_SignedInUser_GetsValidTokens()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        Assert.Equal("Bearer", (string?)tokens["token_type"]);
        Assert.Equal(3600, (long)tokens["expires_in"]!);
        Assert.Equal("openid profile email offline_access", (string?)tokens["scope"]);
        Assert.False(string.IsNullOrEmpty((string?)tokens["refresh_token"]));

        var keys = await Factory.Get<SigningKeyService>().GetPublishedKeysAsync(CancellationToken.None);
        var parameters = new JwtValidationParameters { ResolveKey = kid => keys.FirstOrDefault(k => k.KeyId == kid), Now = Factory.Clock.GetUtcNow(), Issuer = LatchkeyServerFactory.Issuer };
        var id = JwtCodec.Validate((string?)tokens["id_token"], parameters with { Audience = OAuthFlows.CliClient });
        var access = JwtCodec.Validate((string?)tokens["access_token"], parameters with { Audience = LatchkeyServerFactory.Issuer });
        Assert.True(id.IsValid, id.Error);
        Assert.True(access.IsValid, access.Error);
        Assert.Equal("at+jwt", access.Header!.Type);
        Assert.Equal(user.Email, (string?)id.Payload!["email"]);
        var codexAuth = id.Payload[ClaimNames.CodexAuth]!.AsObject();
        Assert.Equal(user.WorkspaceId, (string?)codexAuth[ClaimNames.CodexAccountId]);
        Assert.Equal(user.Id, (string?)codexAuth[ClaimNames.CodexUserId]);
        Assert.Equal("team", (string?)codexAuth[ClaimNames.CodexPlanType]);
        Assert.False((bool)codexAuth[ClaimNames.CodexIsFedramp]!);
        Assert.StartsWith("grant_", (string?)access.Payload!["sid"], StringComparison.Ordinal);
        Assert.Equal((string?)id.Payload["sid"], (string?)access.Payload["sid"]);
    }

    [Fact]
    public async Task Authorize_NotSignedIn_RedirectsToLoginWithReturnUrl()
    {
        using var session = new WebSession(Factory);
        var url = OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier()));

        var (response, _) = await session.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.Contains("/account/login", location, StringComparison.Ordinal);
        Assert.Equal(url, QueryHelpers.ParseQuery(new Uri(location).Query)["ReturnUrl"].ToString());
    }

    [Fact]
    public async Task Authorize_PromptNone_NotSignedIn_ReturnsLoginRequired_OidcCore3_1_2_6()
    {
        using var session = new WebSession(Factory);
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier()), extra: new Dictionary<string, string?> { ["prompt"] = "none" }));

        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("login_required", query["error"].ToString());
        Assert.Equal("st-123", query["state"].ToString());
    }

    [Fact]
    public async Task Code_UsedTwice_SecondFailsAndRevokesTokensFromFirst_Rfc6749Section4_1_2()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        var client = Factory.CreateClient();
        var (_, first) = await OAuthFlows.ExchangeAsync(client, code, verifier);

        var (status, second) = await OAuthFlows.ExchangeAsync(client, code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)second["error"]);
        var (refreshStatus, refreshed) = await OAuthFlows.RefreshAsync(client, (string)first["refresh_token"]!);
        Assert.Equal(HttpStatusCode.BadRequest, refreshStatus);
        Assert.Equal("refresh_token_invalidated", (string?)refreshed["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(client, (string)first["access_token"]!)).StatusCode);
    }

    /// <summary>
    /// The code is consumed in the transaction that creates its grant: of concurrent exchanges exactly one is answered
    /// with tokens, and every other one is a replay that revokes them (RFC 6749 §4.1.2, §10.5), whichever order the
    /// database serialised them in.
    /// </summary>
    [Fact]
    public async Task Code_ExchangedConcurrently_OneAnswered_ReplaysRevokeItsTokens_Rfc6749Section10_5()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier)));

        var answered = Assert.Single(results, r => r.Status == HttpStatusCode.OK).Body;
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal("invalid_grant", (string?)r.Body["error"]));
        var client = Factory.CreateClient();
        var (refreshStatus, refreshed) = await OAuthFlows.RefreshAsync(client, (string)answered["refresh_token"]!);
        Assert.Equal(HttpStatusCode.BadRequest, refreshStatus);
        Assert.Equal("refresh_token_invalidated", (string?)refreshed["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(client, (string)answered["access_token"]!)).StatusCode);
        var grants = await Factory.Get<GrantRepository>().ListActiveSignInsForUserAsync(user.Id, Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        Assert.Empty(grants); // one grant was made, and it is revoked: no orphan grant from the losers
    }

    [Fact]
    public async Task Code_WrongVerifier_IsRejectedAndCodeStillUsable_Rfc7636Section4_6()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        var client = Factory.CreateClient();

        var (status, body) = await OAuthFlows.ExchangeAsync(client, code, Pkce.CreateVerifier());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.ExchangeAsync(client, code, verifier)).Status);
    }

    [Fact]
    public async Task Code_DifferentRedirectUri_IsRejected_Rfc6749Section4_1_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);

        var (status, body) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier, redirectUri: "http://127.0.0.1:50000/auth/callback");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
    }

    [Fact]
    public async Task Code_OtherClient_IsRejected_Rfc6749Section4_1_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);

        var (status, body) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier, clientId: "web-app");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
    }

    [Fact]
    public async Task Code_AtExactExpiry_IsRejected_OneSecondBeforeIsAccepted()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (early, earlyVerifier) = await OAuthFlows.GetCodeAsync(session);
        Factory.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.ExchangeAsync(Factory.CreateClient(), early, earlyVerifier)).Status);

        var (late, lateVerifier) = await OAuthFlows.GetCodeAsync(session);
        Factory.Clock.Advance(TimeSpan.FromSeconds(60));
        var (status, body) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), late, lateVerifier);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("expired", (string?)body["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_RotatesEveryUse_OldTokenWithinGraceAnswered_Rfc9700Section4_14_2()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        var r0 = (string)tokens["refresh_token"]!;

        var (s1, t1) = await OAuthFlows.RefreshAsync(client, r0);
        Assert.Equal(HttpStatusCode.OK, s1);
        Assert.NotEqual(r0, (string?)t1["refresh_token"]);

        // The response to the first refresh was "lost": the same token again within the 60 s window gets the same successor.
        Factory.Clock.Advance(TimeSpan.FromSeconds(59));
        var (s2, t2) = await OAuthFlows.RefreshAsync(client, r0);
        Assert.Equal(HttpStatusCode.OK, s2);
        Assert.Equal((string?)t1["refresh_token"], (string?)t2["refresh_token"]);

        // And the token it returned is the live one.
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(client, (string)t2["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Refresh_ReuseAfterGrace_RevokesGrantAndAccessTokens_WritesAudit_Rfc9700Section4_14_2()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        var r0 = (string)tokens["refresh_token"]!;
        var (_, t1) = await OAuthFlows.RefreshAsync(client, r0);
        Factory.Clock.Advance(TimeSpan.FromSeconds(61));

        var (status, body) = await OAuthFlows.RefreshAsync(client, r0);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
        Assert.Equal("refresh_token_reused", (string?)body["code"]);
        var (liveStatus, live) = await OAuthFlows.RefreshAsync(client, (string)t1["refresh_token"]!);
        Assert.Equal(HttpStatusCode.BadRequest, liveStatus);
        Assert.Equal("refresh_token_invalidated", (string?)live["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(client, (string)t1["access_token"]!)).StatusCode);
        var events = await Factory.Get<AuditRepository>().QueryAsync("refresh_token.reuse_detected", user.Id, 10, CancellationToken.None);
        Assert.Single(events);
        Assert.DoesNotContain(r0, events[0].Detail ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_CodexJsonBody_UsesCodexErrorCodes()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        var r0 = (string)tokens["refresh_token"]!;
        using var json = JsonContent(new JsonObject { ["client_id"] = OAuthFlows.CliClient, ["grant_type"] = "refresh_token", ["refresh_token"] = r0, ["refresh_reason"] = "proactive_expiry" });
        var ok = await client.PostAsync(new Uri("/oauth/token", UriKind.Relative), json);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Factory.Clock.Advance(TimeSpan.FromSeconds(61));

        using var again = JsonContent(new JsonObject { ["client_id"] = OAuthFlows.CliClient, ["grant_type"] = "refresh_token", ["refresh_token"] = r0 });
        var reused = await client.PostAsync(new Uri("/oauth/token", UriKind.Relative), again);
        var body = JsonNode.Parse(await reused.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("refresh_token_reused", (string?)body["error"]);
    }

    [Fact]
    public async Task Refresh_Expired_ReturnsRefreshTokenExpired()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        Factory.Clock.Advance(TimeSpan.FromDays(30));

        var (status, body) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)tokens["refresh_token"]!);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_expired", (string?)body["code"]);
    }

    [Fact]
    public async Task Refresh_OtherClient_IsRejectedAndTokenNotConsumed_Rfc6749Section6()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();

        var (status, _) = await OAuthFlows.RefreshAsync(client, (string)tokens["refresh_token"]!, clientId: "web-app");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(client, (string)tokens["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Revoke_RefreshToken_RevokesGrant_Rfc7009Section2_1()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = (string)tokens["refresh_token"]!, ["token_type_hint"] = "refresh_token", ["client_id"] = OAuthFlows.CliClient });

        var response = await client.PostAsync(new Uri("/oauth/revoke", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("refresh_token_invalidated", (string?)(await OAuthFlows.RefreshAsync(client, (string)tokens["refresh_token"]!)).Body["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(client, (string)tokens["access_token"]!)).StatusCode);
    }

    [Fact]
    public async Task Revoke_CodexJsonAccessToken_RevokesGrant()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        using var json = JsonContent(new JsonObject { ["token"] = (string)tokens["access_token"]!, ["token_type_hint"] = "access_token" });

        var response = await client.PostAsync(new Uri("/oauth/revoke", UriKind.Relative), json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await OAuthFlows.RefreshAsync(client, (string)tokens["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Revoke_UnknownToken_Returns200_Rfc7009Section2_2()
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "not-a-token", ["client_id"] = OAuthFlows.CliClient });
        var response = await Factory.CreateClient().PostAsync(new Uri("/oauth/revoke", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Introspect_ActiveThenInactiveAfterRevoke_Rfc7662()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{LatchkeyServerFactory.ResourceServerId}:{LatchkeyServerFactory.ResourceServerSecret}")));

        var active = await IntrospectAsync(client, (string)tokens["access_token"]!);
        var activeRefresh = await IntrospectAsync(client, (string)tokens["refresh_token"]!);
        using var revoke = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = (string)tokens["refresh_token"]!, ["client_id"] = OAuthFlows.CliClient });
        await Factory.CreateClient().PostAsync(new Uri("/oauth/revoke", UriKind.Relative), revoke);
        var after = await IntrospectAsync(client, (string)tokens["access_token"]!);

        Assert.True((bool)active["active"]!);
        Assert.Equal(user.Id, (string?)active["sub"]);
        Assert.Equal(OAuthFlows.CliClient, (string?)active["client_id"]);
        Assert.True((bool)activeRefresh["active"]!);
        Assert.Equal("refresh_token", (string?)activeRefresh["token_type"]);
        Assert.False((bool)after["active"]!);
        Assert.Single(after);
    }

    [Fact]
    public async Task UserInfo_ValidToken_ReturnsClaims()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        var response = await UserInfoAsync(Factory.CreateClient(), (string)tokens["access_token"]!);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(user.Email, (string?)body["email"]);
        Assert.Equal(user.WorkspaceId, (string?)body[ClaimNames.CodexAuth]![ClaimNames.CodexAccountId]);
    }

    [Fact]
    public async Task UserInfo_IdTokenAsBearer_IsRejected_Rfc9068Section4()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        var response = await UserInfoAsync(Factory.CreateClient(), (string)tokens["id_token"]!);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserInfo_ExpiredAccessToken_IsRejected()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        Factory.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(Factory.CreateClient(), (string)tokens["access_token"]!)).StatusCode);
    }

    [Fact]
    public async Task SigningKeyRotation_NewKeyIsPublishedFirst_SignsAfterThePropagationDelay_OldTokensStillVerify()
    {
        var (_, before) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var (newKid, activatesAt) = await Factory.Get<SigningKeyService>().RotateAsync(CancellationToken.None);

        var jwks = JsonNode.Parse(await Factory.CreateClient().GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)))!["keys"]!.AsArray();
        var (_, during) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        Factory.Clock.Advance(activatesAt - Factory.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        var (_, after) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        Assert.Equal(2, jwks.Count);
        Assert.Contains(jwks, k => (string?)k!["kid"] == newKid); // published at once
        JwtCodec.TryDecodeUnverified((string)during["access_token"]!, out var duringHeader, out _);
        Assert.NotEqual(newKid, duringHeader.KeyId); // but not signing before every instance can have it
        JwtCodec.TryDecodeUnverified((string)after["access_token"]!, out var afterHeader, out _);
        Assert.Equal(newKid, afterHeader.KeyId);
        Assert.Equal(HttpStatusCode.OK, (await UserInfoAsync(Factory.CreateClient(), (string)before["access_token"]!)).StatusCode);
    }

    protected static async Task<HttpResponseMessage> UserInfoAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task<JsonObject> IntrospectAsync(HttpClient client, string token)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token });
        var response = await client.PostAsync(new Uri("/oauth/introspect", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    protected static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task CodeExchange_OneConnectionAndOneTransaction_HotPathBudget()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        await Factory.Get<SigningKeyService>().GetActiveKeyAsync(CancellationToken.None); // key cache warm, as on a running server
        Factory.Connections.Reset();

        var (status, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);

        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        // The read of the code and everything decided on, its consumption, the grant, its refresh token and its event:
        // one connection (before: two, the read on a pooled reader whose page cache every commit had made stale).
        Assert.Equal(1, Factory.Connections.Opened);
    }

    [Fact]
    public async Task CodeExchange_OnPostgres_TwoRoundTripsWithTheCommit_HotPathBudget()
    {
        Assert.SkipUnless(Factory.Connections.Engine == DatabaseEngine.Postgres, "Round trips are PostgreSQL's cost.");
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        await Factory.Get<SigningKeyService>().GetActiveKeyAsync(CancellationToken.None); // key cache warm, as on a running server
        // Tests run in parallel and the listener hears the whole process: the exchange carries a trace id of its own
        // (W3C traceparent, which ASP.NET Core continues), and only Npgsql's activities in that trace are counted.
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom();
        var commands = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            // Npgsql starts one activity per command it sends (statements batched in one command: one activity), and
            // one per physical connection it opens ("CONNECT …"), which is not a round trip of the exchange's own.
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            // Npgsql sets the command's text after the activity has started: read it when it stops.
            ActivityStopped = a =>
            {
                if (a.Source.Name == "Npgsql" && a.TraceId == traceId && !a.DisplayName.StartsWith("CONNECT", StringComparison.Ordinal))
                {
                    commands.Enqueue(a.GetTagItem("db.query.text") as string ?? a.DisplayName);
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01");

        var (status, tokens) = await OAuthFlows.ExchangeAsync(client, code, verifier);

        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        // Consume the code and read the standing (one command); store the grant, its refresh token and its event with
        // the COMMIT (one command: Npgsql's own commit, a round trip of its own, is not a command and would not be
        // counted here, so the COMMIT must be seen in the command). Before, the read and the consumption were a round
        // trip each, and then the commit was a third.
        Assert.Equal(2, commands.Count);
        Assert.EndsWith("COMMIT;", commands.Last().TrimEnd(), StringComparison.Ordinal);
    }
}

public sealed class SqliteCodeFlowTests() : CodeFlowTests(DatabaseEngine.Sqlite);

public sealed class PostgresCodeFlowTests() : CodeFlowTests(DatabaseEngine.Postgres);
