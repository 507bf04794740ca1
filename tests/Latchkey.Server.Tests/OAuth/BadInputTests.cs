using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>Malformed input gets the RFC's error (never a 5xx) and changes nothing.</summary>
public sealed class BadInputTests : ServerTest
{
    private async Task<(HttpStatusCode Status, JsonObject? Body)> PostRawAsync(string path, string body, string contentType)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        var response = await Factory.CreateClient().PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}: {text}");
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text)!.AsObject() : null);
    }

    [Theory]
    [InlineData("/oauth/token", "grant_type=authorization_code&grant_type=refresh_token&client_id=latchkey-cli")]
    [InlineData("/oauth/token", "grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=latchkey-cli")]
    [InlineData("/oauth/revoke", "token=a&token=b")]
    [InlineData("/oauth/device_authorization", "client_id=latchkey-cli&client_id=latchkey-cli")]
    public async Task RepeatedParameter_IsInvalidRequest_Rfc6749Section3_2(string path, string body)
    {
        var (status, json) = await PostRawAsync(path, body, "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", (string?)json!["error"]);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task WrongContentType_IsInvalidRequest(string contentType)
    {
        var (status, json) = await PostRawAsync("/oauth/token", "grant_type=refresh_token", contentType);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", (string?)json!["error"]);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"grant_type\": 5}")]
    [InlineData("{\"grant_type\": {\"nested\": true}}")]
    [InlineData("{\"grant_type\":\"refresh_token\",\"grant_type\":\"authorization_code\"}")]
    [InlineData("")]
    public async Task BadJson_IsInvalidRequest(string body)
    {
        var (status, json) = await PostRawAsync("/oauth/token", body, "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", (string?)json!["error"]);
    }

    [Fact]
    public async Task OversizedBody_IsRefused()
    {
        var (status, _) = await PostRawAsync("/oauth/token", "grant_type=refresh_token&refresh_token=" + new string('a', 70_000), "application/x-www-form-urlencoded");

        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, status.ToString());
    }

    [Fact]
    public async Task UnknownGrantType_IsUnsupportedGrantType_Rfc6749Section5_2()
    {
        var (status, json) = await PostRawAsync("/oauth/token", "grant_type=password&username=a&password=b&client_id=latchkey-cli", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_grant_type", (string?)json!["error"]);
    }

    [Fact]
    public async Task MissingGrantType_IsInvalidRequest()
    {
        var (_, json) = await PostRawAsync("/oauth/token", "client_id=latchkey-cli", "application/x-www-form-urlencoded");
        Assert.Equal("invalid_request", (string?)json!["error"]);
    }

    [Fact]
    public async Task UnknownClient_IsInvalidClientWith401_Rfc6749Section5_2()
    {
        var (status, json) = await PostRawAsync("/oauth/token", "grant_type=refresh_token&refresh_token=x&client_id=nobody", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", (string?)json!["error"]);
    }

    [Fact]
    public async Task ConfidentialClient_WrongSecret_IsInvalidClient()
    {
        var (status, json) = await PostRawAsync("/oauth/introspect", $"token=x&client_id={LatchkeyServerFactory.ResourceServerId}&client_secret=wrong", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", (string?)json!["error"]);
    }

    [Fact]
    public async Task Introspection_ByPublicClient_IsRefused_Rfc7662Section2_1()
    {
        var (status, json) = await PostRawAsync("/oauth/introspect", "token=x&client_id=latchkey-cli", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", (string?)json!["error"]);
    }

    [Fact]
    public async Task TwoClientAuthMethods_IsInvalidRequest_Rfc6749Section2_3()
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "x", ["client_secret"] = LatchkeyServerFactory.ResourceServerSecret });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/introspect") { Content = content };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LatchkeyServerFactory.ResourceServerId}:{LatchkeyServerFactory.ResourceServerSecret}")));

        var response = await Factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task TamperedAccessToken_IsRejectedEverywhere()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var parts = ((string)tokens["access_token"]!).Split('.');
        JwtCodec.TryDecodeUnverified((string)tokens["access_token"]!, out _, out var payload);
        payload["sub"] = "user_admin";
        parts[1] = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var tampered = string.Join('.', parts);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tampered);
        var userinfo = await Factory.CreateClient().SendAsync(request);
        var (revokeStatus, _) = await PostRawAsync("/oauth/revoke", "token=" + Uri.EscapeDataString(tampered), "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.Unauthorized, userinfo.StatusCode);
        Assert.Equal(HttpStatusCode.OK, revokeStatus);
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)tokens["refresh_token"]!)).Status);
    }

    [Theory]
    [InlineData("code=abc&redirect_uri=http://127.0.0.1/auth/callback&client_id=latchkey-cli&grant_type=authorization_code")]
    [InlineData("code=abc&code_verifier=x&client_id=latchkey-cli&grant_type=authorization_code")]
    [InlineData("grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=latchkey-cli")]
    [InlineData("grant_type=refresh_token&client_id=latchkey-cli")]
    public async Task MissingRequiredParameter_IsInvalidRequest(string body)
    {
        var (status, json) = await PostRawAsync("/oauth/token", body, "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", (string?)json!["error"]);
    }

    [Fact]
    public async Task GarbageCodesAndTokens_AreInvalidGrant_AndChangeNothing()
    {
        var before = await Factory.Get<AuditRepository>().QueryAsync(null, null, 1000, CancellationToken.None);
        var inputs = new[]
        {
            "grant_type=authorization_code&code=%E2%98%83garbage&redirect_uri=http://127.0.0.1/auth/callback&code_verifier=" + new string('a', 43) + "&client_id=latchkey-cli",
            "grant_type=refresh_token&refresh_token=" + Uri.EscapeDataString("' OR 1=1 --") + "&client_id=latchkey-cli",
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=%F0%9F%92%A5&client_id=latchkey-cli",
        };
        foreach (var body in inputs)
        {
            var (status, json) = await PostRawAsync("/oauth/token", body, "application/x-www-form-urlencoded");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.True((string?)json!["error"] == "invalid_grant", body + " => " + json.ToJsonString());
        }

        Assert.Equal(before.Count, (await Factory.Get<AuditRepository>().QueryAsync(null, null, 1000, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task TokenEndpoint_Get_IsMethodNotAllowed()
    {
        var response = await Factory.CreateClient().GetAsync(new Uri("/oauth/token", UriKind.Relative));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task TokenResponses_AreNeverCached_Rfc6749Section5_1()
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = "x", ["client_id"] = "latchkey-cli" });
        var response = await Factory.CreateClient().PostAsync(new Uri("/oauth/token", UriKind.Relative), content);

        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("/device?user_code=%00%00")]
    [InlineData("/setup?token=" + "x")]
    [InlineData("/oauth/authorize?client_id=%ZZ")]
    [InlineData("/account/login?returnUrl=javascript:alert(1)")]
    public async Task OddPages_AnswerWithout5xx(string path)
    {
        using var session = new WebSession(Factory);
        var (response, _) = await session.GetAsync(path);
        Assert.True((int)response.StatusCode < 500, $"{path}: {(int)response.StatusCode}");
    }
}
