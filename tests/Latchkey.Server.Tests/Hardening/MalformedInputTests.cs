using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>
/// Each input here once reached a 500 with a stack trace in the log. Bad input gets the endpoint's own 4xx error shape
/// (OAuth JSON for /oauth and the Codex endpoints, RFC 9457 ProblemDetails for /api/v1) and writes no stack trace.
/// </summary>
public sealed class MalformedInputTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    // Tests of one class run one at a time: entries before this count belong to earlier tests.
    private readonly int logStart = fixture.Factory.Log.Entries.Count;

    private static readonly byte[] InvalidUtf8Json = [.. "{\"client_id\":\""u8, 0xFF, 0xFE, 0xC0, .. "\",\"token\":\"x\"}"u8];

    public static TheoryData<string, string> BearerEndpoints => new()
    {
        { "GET", "/oauth/userinfo" },
        { "POST", "/oauth/userinfo" },
        { "GET", "/api/v1/me" },
        { "GET", "/api/v1/workspaces/ws_x/members" },
        { "GET", "/api/accounts/v1/user-auth-credential/whoami" },
        { "GET", "/backend-api/wham/accounts/check" },
        { "GET", "/v1/models" },
    };

    /// <summary>JSON bodies that are not well-formed Unicode, or that repeat a member.</summary>
    public static TheoryData<string> BadJsonBodies => new()
    {
        "invalid-utf8",
        "{\"client_id\":\"\\ud800\",\"token\":\"x\",\"name\":\"\\ud800\"}",
        "{\"\\udc00\":\"x\"}",
        "{\"name\":\"a\",\"name\":\"b\"}",
    };

    private static ByteArrayContent JsonBody(string kind)
        => HardeningFixture.Raw(kind == "invalid-utf8" ? InvalidUtf8Json : Encoding.UTF8.GetBytes(kind), "application/json");

    // RFC 7515 §4 / RFC 8725 §3: a JOSE header or claims set with a repeated member is rejected, never guessed at.
    [Theory]
    [MemberData(nameof(BearerEndpoints))]
    public async Task BearerWithRepeatedHeaderMember_IsInvalidToken_Rfc7515Section4(string method, string path)
    {
        foreach (var token in RepeatedMemberTokens())
        {
            using var response = await fixture.Client(token).SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        AssertNoStackTrace();
    }

    [Fact]
    public async Task RevokeAndIntrospect_TokenWithRepeatedMember_IsUnknownToken_Rfc7009Section2_2_Rfc7662Section2_2()
    {
        foreach (var token in RepeatedMemberTokens())
        {
            using var revoke = await fixture.Client().PostAsync(new Uri("/oauth/revoke", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/introspect") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }) };
            request.Headers.TryAddWithoutValidation("Authorization", HardeningFixture.BasicAuth(LatchkeyServerFactory.ResourceServerId, LatchkeyServerFactory.ResourceServerSecret));
            using var introspect = await fixture.Client().SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            Assert.Equal(HttpStatusCode.OK, introspect.StatusCode);
            Assert.False((bool)JsonNode.Parse(await introspect.Content.ReadAsStringAsync())!["active"]!);
        }

        AssertNoStackTrace();
    }

    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task OAuthAndCodexJson_NotWellFormedOrRepeated_IsInvalidRequest_Rfc8259Section8_1(string kind)
    {
        foreach (var path in new[] { "/oauth/token", "/oauth/revoke", "/api/accounts/deviceauth/usercode", "/api/accounts/deviceauth/token" })
        {
            using var response = await fixture.Client().PostAsync(new Uri(path, UriKind.Relative), JsonBody(kind));
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {text}");
            Assert.Equal("invalid_request", (string?)JsonNode.Parse(text)!["error"]);
        }

        AssertNoStackTrace();
    }

    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task ApiJson_NotWellFormedOrRepeated_IsProblem400_Rfc8259Section8_1(string kind)
    {
        var team = fixture.Team;
        var requests = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/v1/workspaces"),
            (HttpMethod.Post, team.Url("/roles")),
            (HttpMethod.Patch, team.Url("/policies")),
            (HttpMethod.Post, team.Url("/access-tokens")),
            (HttpMethod.Post, team.Url("/api-keys")),
            (HttpMethod.Post, team.Url("/invitations")),
            (HttpMethod.Patch, team.Url("/members/" + team.Owner.Id)),
        };
        foreach (var (method, path) in requests)
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonBody(kind) };
            using var response = await fixture.Client(fixture.AccessToken).SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("invalid_json", (string?)JsonNode.Parse(text)!["code"]);
        }

        AssertNoStackTrace();
    }

    // RFC 8259 §8.1 and HTML's form encoding: only UTF-8 is read; any other charset is refused before the body is decoded.
    [Theory]
    [InlineData("/oauth/token", "application/x-www-form-urlencoded; charset=utf-7")]
    [InlineData("/oauth/revoke", "application/x-www-form-urlencoded; charset=klingon")]
    [InlineData("/oauth/device_authorization", "application/x-www-form-urlencoded; charset=utf-7")]
    [InlineData("/oauth/token", "application/json; charset=utf-7")]
    [InlineData("/api/accounts/deviceauth/usercode", "application/json; charset=utf-32")]
    [InlineData("/api/v1/workspaces", "application/json; charset=utf-7")]
    [InlineData("/account/login", "application/x-www-form-urlencoded; charset=utf-7")]
    [InlineData("/account/mfa", "application/x-www-form-urlencoded; charset=x-unknown")]
    [InlineData("/device", "application/x-www-form-urlencoded; charset=utf-7")]
    [InlineData("/oauth/authorize", "multipart/form-data; boundary=x; charset=utf-7")]
    public async Task AnyPost_WithCharsetOtherThanUtf8_Is4xx(string path, string contentType)
    {
        using var response = await fixture.Client(fixture.AccessToken).PostAsync(new Uri(path, UriKind.Relative), HardeningFixture.Raw("a=b&client_id=latchkey-cli", contentType));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"{path}: {(int)response.StatusCode}");
        AssertNoStackTrace();
    }

    [Theory]
    [InlineData("to=9999-12-31")]
    [InlineData("from=9999-12-31")]
    [InlineData("from=0001-01-01&to=0001-01-01")]
    [InlineData("to=9999-12-31T23:59:59Z")]
    [InlineData("before=99999999999999999999")]
    public async Task AuditFilter_AtTheEdgeOfTime_IsAnsweredWithout5xx(string query)
    {
        foreach (var path in new[] { "/audit?", "/audit/export?format=json&" })
        {
            using var response = await fixture.Client(fixture.AccessToken).GetAsync(new Uri(fixture.Team.Url(path + query), UriKind.Relative));

            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{path}{query}: {(int)response.StatusCode}");
        }

        AssertNoStackTrace();
    }

    private IEnumerable<string> RepeatedMemberTokens()
    {
        var kid = Latchkey.Protocol.Jwt.JwtCodec.TryDecodeUnverified(fixture.AccessToken, out var header, out _) ? header.KeyId : "k";
        yield return fixture.RewrittenToken(headerJson: $"{{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"JWT\"}}");
        yield return fixture.RewrittenToken(payloadJson: "{\"sub\":\"a\",\"sub\":\"b\",\"exp\":9999999999}");
        yield return fixture.RewrittenToken(payloadJson: "{\"sub\":\"\\ud800\",\"exp\":9999999999}");
    }

    private void AssertNoStackTrace()
    {
        var traces = fixture.Factory.Log.WithStackTraces(logStart).ToList();
        Assert.True(traces.Count == 0, string.Join(Environment.NewLine, traces.Take(2)));
    }
}
