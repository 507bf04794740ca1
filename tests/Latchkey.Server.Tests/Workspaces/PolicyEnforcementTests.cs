using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Workspaces;

/// <summary>Workspace policies where the OAuth flows meet them: authorize, code exchange, refresh, device approval.</summary>
public sealed class PolicyEnforcementTests() : ServerTest()
{
    private const string Denied = "403 - Unauthorized. Contact your workspace administrator for access.";

    private async Task<Team> TeamAsync(object policies)
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member), ("admin", WorkspaceRoles.Admin));
        var (status, body) = await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), policies);
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return team;
    }

    [Fact]
    public async Task Local_access_off_refuses_member_sign_in_at_authorize_with_the_403_message()
    {
        var team = await TeamAsync(new { local_access_enabled = false });
        using var session = await TestAccounts.SignInAsync(Factory, team.Members["member"].User);
        var url = OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier()), extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = team.WorkspaceId });
        var (response, _) = await session.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Equal(Denied, query["error_description"].ToString());
        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync("local_access.denied", team.Members["member"].User.Id, 10, CancellationToken.None));

        // Admins run the workspace: the member policy does not apply to them.
        Assert.NotNull(await team.SignInAsync(team.Members["admin"].User));
    }

    [Fact]
    public async Task Local_access_switched_off_after_sign_in_refuses_refresh_with_403_and_keeps_the_refresh_token()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        using var session = await TestAccounts.SignInAsync(Factory, team.Members["member"].User);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = team.WorkspaceId });
        var (_, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        var refresh = tokens["refresh_token"]!.GetValue<string>();

        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = false });
        var (status, body) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refresh);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("access_denied", body["error"]!.GetValue<string>());
        Assert.Equal(Denied, body["error_description"]!.GetValue<string>());

        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = true });
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), refresh)).Status);
    }

    [Fact]
    public async Task Local_access_switched_off_before_the_code_exchange_refuses_it_records_it_and_uses_up_the_code_Rfc6749_Section4_1_2()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        var member = team.Members["member"].User;
        var audit = Factory.Get<AuditRepository>();
        using var session = await TestAccounts.SignInAsync(Factory, member);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = team.WorkspaceId });
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = false });

        // Decided inside the exchange's transaction, recorded after it: the refusal, its event, and the code used up.
        var (status, body) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(Denied, body["error_description"]!.GetValue<string>());
        var denied = Assert.Single(await audit.QueryAsync(AuditEventTypes.LocalAccessDenied, member.Id, 10, CancellationToken.None));
        Assert.Equal("code_exchange", JsonNode.Parse(denied.Detail!)!["stage"]!.GetValue<string>());
        var used = await Factory.Get<AuthorizationCodeRepository>().FindAsync(SecretDigest.Compute(code), CancellationToken.None);
        Assert.NotNull(used!.ConsumedAt);
        Assert.Null(used.GrantId);

        // Allowed again, the refused code still does not work: using it again is a replay, with no grant to revoke.
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = true });
        var (again, againBody) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("invalid_grant", againBody["error"]!.GetValue<string>());
        var replayed = Assert.Single(await audit.QueryAsync(AuditEventTypes.AuthorizationCodeReplayed, member.Id, 10, CancellationToken.None));
        Assert.Null(JsonNode.Parse(replayed.Detail!)!["grant_id"]);
    }

    private async Task<(WebSession Session, string Html, string UserCode)> LookUpDeviceCodeAsync(TestUser user)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = OAuthFlows.CliClient });
        var start = JsonNode.Parse(await (await Factory.CreateClient().PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form)).Content.ReadAsStringAsync())!;
        var session = await TestAccounts.SignInAsync(Factory, user);
        var userCode = start["user_code"]!.GetValue<string>();
        var (_, html) = await session.SubmitAsync("/device", new Dictionary<string, string> { ["user_code"] = userCode }, "/device?handler=lookup");
        return (session, html, userCode);
    }

    private static Task<(HttpResponseMessage Response, string Body)> ApproveAsync(WebSession session, string html, string userCode, string workspaceId)
        => session.PostAsync("/device?handler=decide", new Dictionary<string, string>
        {
            ["user_code"] = userCode,
            ["decision"] = "approve",
            ["workspace_id"] = workspaceId,
            ["__RequestVerificationToken"] = WebSession.Hidden(html, "__RequestVerificationToken")!,
        });

    [Theory]
    [InlineData("workspace_device_off", "Device sign-in is turned off for the workspace")]
    [InlineData("local_access_off", Denied)]
    public async Task A_device_approval_a_workspace_policy_forbids_is_refused_at_the_approval_page(string policy, string message)
    {
        var team = await TeamAsync(policy == "workspace_device_off" ? new { device_sign_in_enabled = false } : new { local_access_enabled = false });
        var (session, html, userCode) = await LookUpDeviceCodeAsync(team.Members["member"].User);
        using (session)
        {
            var (response, body) = await ApproveAsync(session, html, userCode, team.WorkspaceId);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains(System.Net.WebUtility.HtmlEncode(message), body, StringComparison.Ordinal);

            // The member's own personal workspace has no such policy: approving for it works.
            var (ok, _) = await ApproveAsync(session, html, userCode, team.Members["member"].User.WorkspaceId);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
    }

    [Fact]
    public async Task A_user_who_turned_device_sign_in_off_is_refused_at_the_approval_page()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using (var settings = await TestAccounts.SignInAsync(Factory, user))
        {
            var (done, _) = await settings.SubmitAsync("/account/security", new Dictionary<string, string> { ["enabled"] = "false" }, "/account/security?handler=device");
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        var (session, html, _) = await LookUpDeviceCodeAsync(user);
        using (session)
        {
            Assert.Contains("You have turned off device sign-in for your account", html, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"approve\"", html, StringComparison.Ordinal);
        }

        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync("account.device_sign_in_changed", user.Id, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Security_settings_list_active_sign_ins_and_revoke_one()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (_, html) = await session.GetAsync("/account/security");
        var grantId = System.Text.RegularExpressions.Regex.Match(html, "data-grant=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(grantId));
        Assert.Contains("Latchkey CLI", html, StringComparison.Ordinal);

        var (revoked, _) = await session.SubmitAsync("/account/security", new Dictionary<string, string> { ["grantId"] = grantId, ["confirm"] = "yes" }, "/account/security?handler=revoke");
        Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), tokens["refresh_token"]!.GetValue<string>())).Status);

        // Another user's grant id is not found and stays live.
        var (other, otherTokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        using var otherSession = await TestAccounts.SignInAsync(Factory, other);
        var (_, otherHtml) = await otherSession.GetAsync("/account/security");
        var otherGrant = System.Text.RegularExpressions.Regex.Match(otherHtml, "data-grant=\"([^\"]+)\"").Groups[1].Value;
        var (refused, _) = await session.SubmitAsync("/account/security", new Dictionary<string, string> { ["grantId"] = otherGrant, ["confirm"] = "yes" }, "/account/security?handler=revoke");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), otherTokens["refresh_token"]!.GetValue<string>())).Status);
    }

    [Fact]
    public async Task Changing_the_password_needs_the_current_one()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var (wrong, html) = await session.SubmitAsync("/account/security", new Dictionary<string, string> { ["current_password"] = "nope", ["new_password"] = "another long password" }, "/account/security?handler=password");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("current password is not correct", html, StringComparison.Ordinal);

        var (ok, _) = await session.SubmitAsync("/account/security", new Dictionary<string, string> { ["current_password"] = user.Password, ["new_password"] = "another long password" }, "/account/security?handler=password");
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        var accounts = Factory.Get<Latchkey.Server.Accounts.AccountService>();
        Assert.Equal(Latchkey.Server.Accounts.SignInOutcome.PasswordAccepted, (await accounts.CheckPasswordAsync(user.Email, "another long password", null, CancellationToken.None)).Outcome);
    }
}
