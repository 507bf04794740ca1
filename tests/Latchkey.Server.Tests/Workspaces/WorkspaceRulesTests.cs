using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Api;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Workspaces;

public sealed class WorkspaceRulesSqliteTests() : WorkspaceRulesTests(DatabaseEngine.Sqlite);

public sealed class WorkspaceRulesPostgresTests() : WorkspaceRulesTests(DatabaseEngine.Postgres);

/// <summary>The rules around the table: last owner, owners' privileges, foreign ids, bad input, invitations, rotation, audit.</summary>
public abstract class WorkspaceRulesTests(DatabaseEngine engine) : ServerTest(engine)
{
    [Fact]
    public async Task The_last_owner_cannot_be_demoted_or_removed_and_admins_cannot_touch_owners()
    {
        var team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin));
        var owner = team.Owner.Id;
        var (s1, b1) = await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url($"/members/{owner}"), new { role = "admin" });
        Assert.Equal(HttpStatusCode.Conflict, s1);
        Assert.Equal("last_owner", b1!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await team.Client("owner").SendAsync(HttpMethod.Delete, team.Url($"/members/{owner}"))).Status);

        var (s2, b2) = await team.Client("admin").SendAsync(HttpMethod.Delete, team.Url($"/members/{owner}"));
        Assert.Equal(HttpStatusCode.Forbidden, s2);
        Assert.Contains("owner", b2!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await team.Client("admin").SendAsync(HttpMethod.Patch, team.Url($"/members/{team.Members["admin"].User.Id}"), new { role = "owner" })).Status);
        Assert.Equal(WorkspaceRoles.Owner, (await Factory.Get<WorkspaceRepository>().FindMembershipAsync(owner, team.WorkspaceId, CancellationToken.None))!.Role);

        // With a second owner, the first may step down.
        Assert.Equal(HttpStatusCode.NoContent, (await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url($"/members/{team.Members["admin"].User.Id}"), new { role = "owner" })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url($"/members/{owner}"), new { role = "member" })).Status);
    }

    [Fact]
    public async Task Another_workspaces_ids_answer_not_found_and_change_nothing()
    {
        var a = await Team.CreateAsync(Factory);
        var b = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        await b.Client("owner").SendAsync(HttpMethod.Patch, b.Url("/policies"), new { member_access_tokens_enabled = true });
        var (_, bToken) = await b.Client("member").SendAsync(HttpMethod.Post, b.Url("/access-tokens"), new { name = "b's", expiration = "7d" });
        var (_, bKey) = await b.Client("owner").SendAsync(HttpMethod.Post, b.Url("/api-keys"), new { name = "b key" });
        var tokenId = bToken!["id"]!.GetValue<string>();

        // A's owner names B's objects under A's workspace, and B's workspace directly with A's credential.
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client("owner").SendAsync(HttpMethod.Delete, a.Url($"/access-tokens/{tokenId}"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client("owner").SendAsync(HttpMethod.Delete, a.Url($"/api-keys/{bKey!["id"]!.GetValue<string>()}"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client("owner").SendAsync(HttpMethod.Delete, a.Url($"/members/{b.Members["member"].User.Id}"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client("owner").SendAsync(HttpMethod.Delete, b.Url($"/access-tokens/{tokenId}"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client("owner").SendAsync(HttpMethod.Patch, b.Url("/policies"), new { local_access_enabled = false })).Status);

        // Through the console too.
        using var aSession = await TestAccounts.SignInAsync(Factory, a.Owner);
        var (page, _) = await aSession.SubmitAsync($"/console/{a.WorkspaceId}/tokens", new Dictionary<string, string> { ["tokenId"] = tokenId, ["confirm"] = "yes" }, $"/console/{a.WorkspaceId}/tokens?handler=revoke");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await aSession.GetAsync($"/console/{b.WorkspaceId}/members")).Response.StatusCode);

        var (_, list) = await b.Client("owner").SendAsync(HttpMethod.Get, b.Url("/access-tokens"));
        Assert.Equal("active", list!["access_tokens"]![0]!["status"]!.GetValue<string>());
        Assert.True((await Factory.Get<WorkspaceRepository>().FindAsync(b.WorkspaceId, CancellationToken.None))!.LocalAccessEnabled);
    }

    [Theory]
    [InlineData("{\"local_access_enabled\": \"no\"}", "local_access_enabled")]
    [InlineData("{\"access_token_max_days\": -3}", "access_token_max_days")]
    [InlineData("{\"access_token_max_days\": 99999}", "access_token_max_days")]
    [InlineData("{\"access_token_max_days\": 1.5}", "access_token_max_days")]
    [InlineData("{\"local_access_enabled\": false, \"surprise\": 1}", "surprise")]
    [InlineData("[1, 2]", null)]
    [InlineData("{not json", null)]
    public async Task Bad_policy_input_is_refused_clearly_and_changes_nothing(string body, string? field)
    {
        var team = await Team.CreateAsync(Factory);
        var before = await Factory.Get<WorkspaceRepository>().FindAsync(team.WorkspaceId, CancellationToken.None);
        var (status, problem) = await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(problem!["detail"]!.GetValue<string>()));
        if (field is not null)
        {
            Assert.NotNull(problem["errors"]![field]);
        }

        Assert.Equal(before, await Factory.Get<WorkspaceRepository>().FindAsync(team.WorkspaceId, CancellationToken.None));
        Assert.Empty(await Factory.Get<AuditRepository>().QueryAsync("policy.changed", null, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData("", "30d", null, "name")]
    [InlineData("ok", "45d", null, "expiration")]
    [InlineData("ok", null, null, "expiration")]
    [InlineData("ok", "never", null, "expiration")] // the workspace has a limit
    [InlineData("ok", "90d", null, "expiration")] // beyond the 60-day limit
    [InlineData("ok", "custom", "not-a-date", "expires_at")]
    [InlineData("ok", "custom", "+0", "expires_at")] // today: less than a day ahead
    [InlineData("ok", "custom", "+200", "expires_at")] // beyond the limit
    public async Task Bad_token_requests_are_refused_and_create_nothing(string name, string? expiration, string? expiresAt, string field)
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true, access_token_max_days = 60 });
        if (expiresAt?.StartsWith('+') == true)
        {
            expiresAt = Factory.Clock.GetUtcNow().AddDays(int.Parse(expiresAt[1..], System.Globalization.CultureInfo.InvariantCulture)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        }

        var (status, problem) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name, expiration, expires_at = expiresAt });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotNull(problem!["errors"]![field]);
        Assert.Empty(await Factory.Get<AccessTokenRepository>().ListAsync(team.WorkspaceId, null, CancellationToken.None));

        // The same through the page: an error on the page, status 400, nothing created.
        using var session = await TestAccounts.SignInAsync(Factory, team.Members["member"].User);
        var (page, html) = await session.SubmitAsync($"/console/{team.WorkspaceId}/tokens",
            new Dictionary<string, string> { ["name"] = name, ["expiration"] = expiration ?? string.Empty, ["expires_at"] = expiresAt ?? string.Empty },
            $"/console/{team.WorkspaceId}/tokens?handler=create");
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("No token was created.", html, StringComparison.Ordinal);
        Assert.Empty(await Factory.Get<AccessTokenRepository>().ListAsync(team.WorkspaceId, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_limit_offers_only_choices_within_it_and_a_date_on_its_last_day_is_accepted()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true, access_token_max_days = 30 });
        using var session = await TestAccounts.SignInAsync(Factory, team.Members["member"].User);
        var (_, html) = await session.GetAsync($"/console/{team.WorkspaceId}/tokens");
        Assert.Contains("value=\"30d\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"60d\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"never\"", html, StringComparison.Ordinal);

        var lastDay = Factory.Clock.GetUtcNow().AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (status, body) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "edge", expiration = "custom", expires_at = lastDay });
        Assert.True(status == HttpStatusCode.Created, body?.ToJsonString());
    }

    [Fact]
    public async Task Rotation_creates_the_replacement_first_then_revokes_the_old_token()
    {
        var team = await Team.CreateAsync(Factory);
        var (_, created) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "deploy", expiration = "30d" });
        var oldSecret = created!["token"]!.GetValue<string>();
        var (status, rotated) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url($"/access-tokens/{created["id"]!.GetValue<string>()}/rotate"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("deploy", rotated!["name"]!.GetValue<string>());
        Assert.Equal(created["id"]!.GetValue<string>(), rotated["replaces_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await team.ClientFor(rotated["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await team.ClientFor(oldSecret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami")).Status);
        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync("access_token.rotated", team.Owner.Id, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_invitation_link_adds_the_invitee_once_and_only_for_its_email()
    {
        var team = await Team.CreateAsync(Factory);
        var invitee = await TestAccounts.CreateEnrolledAsync(Factory);
        var stranger = await TestAccounts.CreateEnrolledAsync(Factory);
        var (status, invite) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/invitations"), new { email = invitee.Email.ToUpperInvariant(), role = "admin" });
        Assert.Equal(HttpStatusCode.Created, status);
        var path = new Uri(invite!["url"]!.GetValue<string>()).AbsolutePath;

        using var strangerSession = await TestAccounts.SignInAsync(Factory, stranger);
        var (refused, html) = await strangerSession.SubmitAsync(path, new Dictionary<string, string>(), path + "?handler=accept");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("This invitation is for", html, StringComparison.Ordinal);

        using var inviteeSession = await TestAccounts.SignInAsync(Factory, invitee);
        var (accepted, _) = await inviteeSession.SubmitAsync(path, new Dictionary<string, string>(), path + "?handler=accept");
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal("admin", (await Factory.Get<WorkspaceRepository>().FindMembershipAsync(invitee.Id, team.WorkspaceId, CancellationToken.None))!.Role);

        var (again, _) = await inviteeSession.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync("member.joined", invitee.Id, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Audit_log_filters_and_exports_and_never_holds_secrets()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true });
        var (_, token) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "=cmd|' /C calc'!A0", expiration = "7d" });
        var (_, key) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/api-keys"), new { name = "gateway" });
        var secret = token!["token"]!.GetValue<string>();
        await team.ClientFor(secret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        await Factory.FlushUsageEventsAsync();

        var (_, family) = await team.Client("owner").SendAsync(HttpMethod.Get, team.Url("/audit?type=access_token."));
        var types = family!["events"]!.AsArray().Select(e => e!["event_type"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { "access_token.created", "access_token.used" }, types);

        var (_, byUser) = await team.Client("owner").SendAsync(HttpMethod.Get, team.Url($"/audit?user={Uri.EscapeDataString(team.Members["member"].User.Email)}&type=sign_in.succeeded"));
        Assert.NotEmpty(byUser!["events"]!.AsArray());
        Assert.All(byUser["events"]!.AsArray(), e => Assert.Equal(team.Members["member"].User.Id, e!["user_id"]!.GetValue<string>()));

        var (_, text) = await team.Client("owner").SendAsync(HttpMethod.Get, team.Url("/audit?q=GATEWAY"));
        Assert.Equal("api_key.created", Assert.Single(text!["events"]!.AsArray())!["event_type"]!.GetValue<string>());

        var (_, bad) = await team.Client("owner").SendAsync(HttpMethod.Get, team.Url("/audit?from=yesterday"));
        Assert.Equal("validation_failed", bad!["code"]!.GetValue<string>());

        using var owner = team.Client("owner");
        var csv = await owner.GetStringAsync(new Uri(team.Url("/audit/export?format=csv"), UriKind.Relative));
        Assert.StartsWith("id,occurred_at,event_type,user_id,user_email,workspace_id,client_id,ip_address,detail\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("access_token.created", csv, StringComparison.Ordinal);
        var json = JsonNode.Parse(await owner.GetStringAsync(new Uri(team.Url("/audit/export?format=json"), UriKind.Relative)))!.AsArray();
        Assert.Contains(json, e => e!["event_type"]!.GetValue<string>() == "policy.changed");

        foreach (var leaked in new[] { secret, key!["key"]!.GetValue<string>(), TestAccounts.Password })
        {
            Assert.DoesNotContain(leaked, csv, StringComparison.Ordinal);
        }

        // CSV injection: the formula-looking token name is neutralised in its cell.
        Assert.DoesNotContain(",=cmd", csv, StringComparison.Ordinal);
        Assert.Equal("'=x", Latchkey.Server.Api.AuditSearch.Csv("=x"));
    }

    [Fact]
    public async Task Retention_deletes_old_events_by_the_workspace_setting_and_the_server_default()
    {
        var team = await Team.CreateAsync(Factory);
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { audit_retention_days = 30 });
        var audit = Factory.Get<Latchkey.Server.Audit.AuditLog>();
        await audit.WriteAsync("test.old_workspace_event", team.Owner.Id, team.WorkspaceId);
        await audit.WriteAsync("test.old_account_event", team.Owner.Id);
        Factory.Clock.Advance(TimeSpan.FromDays(31));
        await audit.WriteAsync("test.new_event", team.Owner.Id, team.WorkspaceId);

        await Factory.Get<ExpiredDataCleanup>().RunOnceAsync(CancellationToken.None);
        var repo = Factory.Get<AuditRepository>();
        Assert.Empty(await repo.QueryAsync("test.old_workspace_event", null, 10, CancellationToken.None));
        Assert.Single(await repo.QueryAsync("test.old_account_event", null, 10, CancellationToken.None)); // server default is 365 days
        Assert.Single(await repo.QueryAsync("test.new_event", null, 10, CancellationToken.None));

        Factory.Clock.Advance(TimeSpan.FromDays(365));
        await Factory.Get<ExpiredDataCleanup>().RunOnceAsync(CancellationToken.None);
        Assert.Empty(await repo.QueryAsync("test.old_account_event", null, 10, CancellationToken.None));
    }
}
