using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Sso;

/// <summary>
/// The MFA rule for local clients (CliMfaRule): an account that has a password must have a second factor before the CLI
/// may sign in, however the person signed in (ASVS 5.0 §6.3.3: every way into an account holds to the same strength).
/// Each path is checked: authorization (sign-in), device approval, and every token issuance (code and device exchange,
/// refresh). The account here lost its factors while its sign-ins lived on — the state the rule must not let through.
/// </summary>
public abstract class CliMfaRuleTests(DatabaseEngine engine) : ServerTest(engine)
{
    private const string Refusal = "two-factor authentication before the CLI may sign in";

    private async Task RemoveFactorsAsync(TestUser user) => Assert.True(await Factory.Get<UserRepository>().ResetMfaAsync(user.Id, CancellationToken.None));

    [Fact]
    public async Task Authorize_PasswordAccountWithoutMfa_IsRefusedToTheCli_Asvs5_6_3_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        await RemoveFactorsAsync(user);

        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier())));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Contains(Refusal, query["error_description"].ToString(), StringComparison.Ordinal);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task Authorize_WithMfa_IssuesACode_AndTokensSayPwdOtpMfa_Rfc8176()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        var (_, refreshed) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)tokens["refresh_token"]!);

        foreach (var jwt in new[] { (string)tokens["id_token"]!, (string)tokens["access_token"]!, (string)refreshed["id_token"]!, (string)refreshed["access_token"]! })
        {
            Assert.True(JwtCodec.TryDecodeUnverified(jwt, out _, out var claims));
            Assert.Equal(["pwd", "otp", "mfa"], claims["amr"]!.AsArray().Select(v => (string)v!));
            Assert.Equal("urn:latchkey:acr:mfa", (string?)claims["acr"]);
        }
    }

    [Fact]
    public async Task DeviceApproval_PasswordAccountWithoutMfa_IsRefused_Asvs5_6_3_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartDeviceAsync();
        var (_, html) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = (string)start["user_code"]! }, "/device?handler=lookup");
        await RemoveFactorsAsync(user);

        var (response, body) = await DecideAsync(session, start, user, html);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(Refusal, WebUtility.HtmlDecode(body), StringComparison.Ordinal);
        var poll = await PollAsync(start);
        Assert.Equal("authorization_pending", (string?)poll.Body["error"]);
    }

    [Fact]
    public async Task CodeExchange_AfterTheAccountLostItsMfa_IsRefused_Asvs5_6_3_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        await RemoveFactorsAsync(user);

        var (status, body) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("access_denied", (string?)body["error"]);
        Assert.Contains(Refusal, (string?)body["error_description"], StringComparison.Ordinal);
        Assert.Null(body["access_token"]);
    }

    [Fact]
    public async Task DeviceExchange_AfterTheAccountLostItsMfa_IsRefused_Asvs5_6_3_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var start = await StartDeviceAsync();
        var (_, html) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = (string)start["user_code"]! }, "/device?handler=lookup");
        var (_, approved) = await DecideAsync(session, start, user, html);
        Assert.Contains("Device approved", approved, StringComparison.Ordinal);
        await RemoveFactorsAsync(user);

        Factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var (status, body) = await PollAsync(start);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains(Refusal, (string?)body["error_description"], StringComparison.Ordinal);
        Assert.Null(body["access_token"]);
    }

    [Fact]
    public async Task Refresh_AfterTheAccountLostItsMfa_IsRefused_AndWorksAgainOnceEnrolled_Asvs5_6_3_3()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        await RemoveFactorsAsync(user);
        var refresh = (string)tokens["refresh_token"]!;

        var (status, body) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refresh);
        // Enrolling again lifts the refusal; the refused attempt did not spend the token.
        var accounts = Factory.Get<Latchkey.Server.Accounts.AccountService>();
        var secret = Latchkey.Server.Accounts.Totp.NewSecretBase32();
        Assert.NotNull(await accounts.CompleteTotpEnrollmentAsync(user.Id, secret, TestAccounts.CurrentCode(Factory, secret), null, CancellationToken.None));
        var (after, _) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refresh);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains(Refusal, (string?)body["error_description"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after);
    }

    private async Task<JsonObject> StartDeviceAsync()
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = OAuthFlows.CliClient, ["scope"] = "openid offline_access" });
        var response = await Factory.CreateClient().PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static Task<(HttpResponseMessage Response, string Body)> DecideAsync(WebSession session, JsonObject start, TestUser user, string lookupHtml)
        => session.PostAsync("/device?handler=decide", new Dictionary<string, string>
        {
            ["user_code"] = (string)start["user_code"]!,
            ["decision"] = "approve",
            ["workspace_id"] = user.WorkspaceId,
            ["__RequestVerificationToken"] = WebSession.Hidden(lookupHtml, "__RequestVerificationToken")!,
        });

    private Task<(HttpStatusCode Status, JsonObject Body)> PollAsync(JsonObject start)
        => OAuthFlows.TokenAsync(Factory.CreateClient(), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = (string)start["device_code"]!,
            ["client_id"] = OAuthFlows.CliClient,
        });
}

public sealed class SqliteCliMfaRuleTests() : CliMfaRuleTests(DatabaseEngine.Sqlite);

public sealed class PostgresCliMfaRuleTests() : CliMfaRuleTests(DatabaseEngine.Postgres);
