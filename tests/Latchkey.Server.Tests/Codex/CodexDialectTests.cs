using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Codex;

/// <summary>The Codex wire dialect (codex-compat.md) served in-process: device code, JSON refresh and revoke, wham.</summary>
public sealed class CodexDialectTests() : ServerTest(settings: new Dictionary<string, string?> { ["Latchkey:Codex:ClientId"] = "my-codex" })
{
    private async Task<(HttpStatusCode Status, JsonObject Body)> PostJsonAsync(string path, object body)
    {
        using var response = await Factory.CreateClient().PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    [Fact]
    public async Task Device_code_login_in_the_codex_dialect_ends_with_all_three_tokens_carrying_the_codex_claims()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        var (status, start) = await PostJsonAsync("/api/accounts/deviceauth/usercode", new { client_id = "my-codex" });
        Assert.Equal(HttpStatusCode.OK, status);
        // The Codex client hard-fails on a numeric interval: it must be a JSON string.
        Assert.Equal(System.Text.Json.JsonValueKind.String, start["interval"]!.GetValueKind());
        var deviceAuthId = start["device_auth_id"]!.GetValue<string>();
        var userCode = start["user_code"]!.GetValue<string>();

        var (pending, _) = await PostJsonAsync("/api/accounts/deviceauth/token", new { device_auth_id = deviceAuthId, user_code = userCode });
        Assert.Equal(HttpStatusCode.Forbidden, pending);
        var (wrongPair, _) = await PostJsonAsync("/api/accounts/deviceauth/token", new { device_auth_id = deviceAuthId, user_code = "AAAA-AAAA" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongPair);

        // Approved on /codex/device, the same page as /device.
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (lookup, html) = await session.SubmitAsync("/codex/device", new Dictionary<string, string> { ["user_code"] = userCode }, "/codex/device?handler=lookup");
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        Assert.Equal("Codex CLI", WebSession.Element(html, "client-name"));
        var (approved, done) = await session.PostAsync("/codex/device?handler=decide", new Dictionary<string, string>
        {
            ["user_code"] = userCode,
            ["decision"] = "approve",
            ["workspace_id"] = user.WorkspaceId,
            ["__RequestVerificationToken"] = WebSession.Hidden(html, "__RequestVerificationToken")!,
        });
        Assert.Contains("Device approved", done, StringComparison.Ordinal);

        var (ok, pair) = await PostJsonAsync("/api/accounts/deviceauth/token", new { device_auth_id = deviceAuthId, user_code = userCode });
        Assert.Equal(HttpStatusCode.OK, ok);
        var verifier = pair["code_verifier"]!.GetValue<string>();
        Assert.Equal(Pkce.ComputeS256Challenge(verifier), pair["code_challenge"]!.GetValue<string>());
        var (again, _) = await PostJsonAsync("/api/accounts/deviceauth/token", new { device_auth_id = deviceAuthId, user_code = userCode });
        Assert.Equal(HttpStatusCode.BadRequest, again);

        var (exchanged, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), pair["authorization_code"]!.GetValue<string>(), verifier,
            LatchkeyServerFactory.Issuer + "/deviceauth/callback", "my-codex");
        Assert.True(exchanged == HttpStatusCode.OK, tokens.ToJsonString());
        Assert.NotNull(tokens["refresh_token"]);
        Assert.True(JwtCodec.TryDecodeUnverified(tokens["id_token"]!.GetValue<string>(), out _, out var claims));
        var auth = claims[ClaimNames.CodexAuth]!;
        Assert.Equal(user.WorkspaceId, auth[ClaimNames.CodexAccountId]!.GetValue<string>());
        Assert.Equal(user.Id, auth[ClaimNames.CodexUserId]!.GetValue<string>());
        Assert.Equal("team", auth[ClaimNames.CodexPlanType]!.GetValue<string>());

        // JSON refresh with refresh_reason, then JSON revoke: the refresh token is dead afterwards.
        var (refreshed, fresh) = await PostJsonAsync("/oauth/token", new { client_id = "my-codex", grant_type = "refresh_token", refresh_token = tokens["refresh_token"]!.GetValue<string>(), refresh_reason = "proactive_expiry" });
        Assert.Equal(HttpStatusCode.OK, refreshed);
        // Workspace routing answers for the token's workspace only.
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", fresh["access_token"]!.GetValue<string>());
        client.DefaultRequestHeaders.Add("chatgpt-account-id", user.WorkspaceId);
        var check = JsonNode.Parse(await client.GetStringAsync(new Uri("/backend-api/wham/accounts/check", UriKind.Relative)))!;
        Assert.Equal(user.WorkspaceId, check["accounts"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("NO_CONSTRAINT", check["accounts"]![0]!["account_routing_override"]!.GetValue<string>());

        using var revoke = await Factory.CreateClient().PostAsJsonAsync(new Uri("/oauth/revoke", UriKind.Relative),
            new { token = fresh["refresh_token"]!.GetValue<string>(), token_type_hint = "refresh_token", client_id = "my-codex" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var (dead, error) = await PostJsonAsync("/oauth/token", new { client_id = "my-codex", grant_type = "refresh_token", refresh_token = fresh["refresh_token"]!.GetValue<string>(), refresh_reason = "scheduled" });
        Assert.Equal(HttpStatusCode.BadRequest, dead);
        Assert.Equal("refresh_token_invalidated", error["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/backend-api/wham/accounts/check", UriKind.Relative))).StatusCode);

    }

    [Fact]
    public async Task The_id_token_to_api_key_exchange_is_refused_with_an_error_the_client_tolerates()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var (status, body) = await OAuthFlows.TokenAsync(Factory.CreateClient(), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["client_id"] = "my-codex",
            ["requested_token"] = "openai-api-key",
            ["subject_token"] = tokens["id_token"]!.GetValue<string>(),
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:id_token",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_token_type", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_codex_client_gets_no_device_code()
    {
        var (status, body) = await PostJsonAsync("/api/accounts/deviceauth/usercode", new { client_id = "codex-cli" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
    }
}

public sealed class CodexDeviceOffTests() : ServerTest(settings: new Dictionary<string, string?> { ["Latchkey:DeviceAuthorizationEnabled"] = "false" })
{
    [Fact]
    public async Task With_device_sign_in_off_the_usercode_endpoint_answers_404_as_the_codex_client_expects()
    {
        using var response = await Factory.CreateClient().PostAsJsonAsync(new Uri("/api/accounts/deviceauth/usercode", UriKind.Relative), new { client_id = "codex-cli" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
