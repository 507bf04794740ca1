using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Accounts;

public sealed class AccountDisablingSqliteTests() : AccountDisablingTests(DatabaseEngine.Sqlite);

public sealed class AccountDisablingPostgresTests() : AccountDisablingTests(DatabaseEngine.Postgres);

/// <summary>
/// ASVS 5.0 §7.4.2: disabling an account ends every session and credential it holds at once — web sessions (and any
/// copy of their cookie), CLI sign-ins (access JWT and refresh token) and `at-` access tokens — and refuses its
/// sign-ins; enabling lets it sign in again without bringing any of them back.
/// </summary>
public abstract class AccountDisablingTests(DatabaseEngine engine) : ServerTest(engine)
{
    [Fact]
    public async Task Disabling_ends_sessions_sign_ins_and_access_tokens_and_refuses_sign_in_ASVS5_7_4_2()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var cookie = session.SessionCookie!;
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        var (_, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        var jwt = tokens["access_token"]!.GetValue<string>();
        var automation = await CreateAccessTokenAsync(jwt, user.WorkspaceId);
        Assert.Equal("200 200 200", await ProbeAsync(cookie, jwt, automation));

        Assert.True(await Factory.Get<AccountDisabling>().DisableAsync(user.Email.ToUpperInvariant(), "operator", CancellationToken.None));

        // Console (redirect to sign-in), /api/v1/me with the sign-in JWT, whoami with the at- token.
        Assert.Equal("302 401 401", await ProbeAsync(cookie, jwt, automation));
        var (refreshStatus, refreshed) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), tokens["refresh_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, refreshStatus);
        Assert.Equal("invalid_grant", refreshed["error"]!.GetValue<string>()); // RFC 6749 §5.2

        // The right password is told the account is disabled; a wrong one gets the usual answer (nothing learned).
        var (disabled, body) = await new WebSession(Factory).SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
        Assert.Equal(HttpStatusCode.Forbidden, disabled.StatusCode);
        Assert.Contains("This account is disabled", body, StringComparison.Ordinal);
        var (wrong, wrongBody) = await new WebSession(Factory).SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password + "x" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.DoesNotContain("disabled", wrongBody, StringComparison.OrdinalIgnoreCase);

        var now = Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Empty(await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(user.Id, now, CancellationToken.None));
        Assert.Empty(await Factory.Get<GrantRepository>().ListActiveSignInsForUserAsync(user.Id, now, CancellationToken.None));

        // Enabled again: a fresh sign-in works; what was revoked stays revoked.
        Assert.True(await Factory.Get<AccountDisabling>().EnableAsync(user.Email, "operator", CancellationToken.None));
        using var again = await TestAccounts.SignInAsync(Factory, user);
        Assert.Equal("200 401 401", await ProbeAsync(again.SessionCookie!, jwt, automation));
    }

    [Fact]
    public async Task A_sign_in_paused_at_the_second_factor_cannot_finish_once_the_account_is_disabled()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        var (login, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
        Assert.Equal("/account/mfa", login.Headers.Location!.OriginalString);

        var (_, page) = await session.GetAsync("/account/mfa");
        var antiforgery = WebSession.Hidden(page, "__RequestVerificationToken")!;

        await Factory.Get<AccountDisabling>().DisableAsync(user.Email, "operator", CancellationToken.None);
        Factory.Clock.Advance(TimeSpan.FromSeconds(Totp.StepSeconds));
        var (mfa, _) = await session.PostAsync("/account/mfa", new Dictionary<string, string>
        {
            ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret),
            ["__RequestVerificationToken"] = antiforgery,
        });

        Assert.Equal(HttpStatusCode.Redirect, mfa.StatusCode);
        Assert.Equal("/account/login", mfa.Headers.Location!.OriginalString);
        Assert.Empty(await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(user.Id, Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None));
    }

    [Fact]
    public async Task An_unknown_address_changes_nothing()
    {
        Assert.Null(await Factory.Get<AccountDisabling>().DisableAsync("nobody@example.com", "operator", CancellationToken.None));
        Assert.Null(await Factory.Get<AccountDisabling>().EnableAsync("nobody@example.com", "operator", CancellationToken.None));
    }

    private async Task<string> CreateAccessTokenAsync(string jwt, string workspaceId)
    {
        using var http = Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/workspaces/{workspaceId}/access-tokens") { Content = JsonContent.Create(new { name = "ci", expiration = "7d" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        using var response = await http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body["token"]!.GetValue<string>();
    }

    private async Task<string> ProbeAsync(string sessionCookie, string jwt, string automation)
    {
        using var browser = WebSession.WithCopiedCookie(Factory, sessionCookie);
        var console = (int)(await browser.GetAsync(new Uri("/console", UriKind.Relative))).StatusCode;
        using var http = Factory.CreateClient();
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        var api = (int)(await http.SendAsync(me)).StatusCode;
        using var whoami = new HttpRequestMessage(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        whoami.Headers.Authorization = new AuthenticationHeaderValue("Bearer", automation);
        var at = (int)(await http.SendAsync(whoami)).StatusCode;
        return $"{console} {api} {at}";
    }
}
