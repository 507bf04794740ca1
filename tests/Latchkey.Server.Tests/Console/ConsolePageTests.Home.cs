using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Console;

public abstract partial class ConsolePageTests
{
    /// <summary>Issue 17: a member who accepted an invitation used to land on "Page not found" under default policies.</summary>
    [Fact]
    public async Task A_member_who_accepts_an_invitation_lands_on_a_home_that_works_under_default_policies()
    {
        var team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin));
        var (_, invitation) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/invitations"), new { role = "member" });
        var invitePath = new Uri(invitation!["url"]!.GetValue<string>()).AbsolutePath;
        var newcomer = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, newcomer);

        var (accepted, _) = await session.SubmitAsync(invitePath, new Dictionary<string, string>(), invitePath + "?handler=accept");
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        var home = $"/console/{team.WorkspaceId}";
        Assert.Equal(home, accepted.Headers.Location!.OriginalString);

        var (page, html) = await session.GetAsync(home);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        // What they may do comes from the decision table: local use yes; tokens, members, policies no (defaults).
        Assert.Matches("data-action=\"UseLocally\" class=\"yes\"", html);
        Assert.Matches("data-action=\"CreateAccessToken\" class=\"no\"", html);
        Assert.Matches("data-action=\"ChangePolicies\" class=\"no\"", html);
        Assert.Matches("data-action=\"RenameWorkspace\" class=\"no\"", html);
        Assert.Contains("id=\"tokens-off\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/security#sessions\"", html, StringComparison.Ordinal);
        var admins = Regex.Match(html, "<ul id=\"administrators\">.*?</ul>", RegexOptions.Singleline).Value;
        Assert.Contains(team.Owner.Email, admins, StringComparison.Ordinal);
        Assert.Contains(team.Members["admin"].User.Email, admins, StringComparison.Ordinal);
        Assert.DoesNotContain(newcomer.Email, admins, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"rename-form\"", html, StringComparison.Ordinal);
        // The console list leads to the home, not to a page the member cannot open.
        var (_, list) = await session.GetAsync("/console");
        Assert.Contains($"href=\"{home}\" data-workspace=\"{team.WorkspaceId}\"", list, StringComparison.Ordinal);

        // With member tokens allowed, the home shows their tokens instead.
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true });
        var (_, allowed) = await session.GetAsync(home);
        Assert.Contains("id=\"manage-tokens\"", allowed, StringComparison.Ordinal);
        Assert.Matches("data-action=\"CreateAccessToken\" class=\"yes\"", allowed);
    }

    [Fact]
    public async Task Owners_rename_the_workspace_members_cannot_and_the_audit_log_says_so_in_a_sentence()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        using var owner = await TestAccounts.SignInAsync(Factory, team.Owner);
        using var member = await TestAccounts.SignInAsync(Factory, team.Members["member"].User);
        var home = $"/console/{team.WorkspaceId}";
        var before = (await Factory.Get<WorkspaceRepository>().FindAsync(team.WorkspaceId, CancellationToken.None))!.Name;

        var (refused, _) = await member.SubmitAsync(home, new Dictionary<string, string> { ["name"] = "Hijacked" }, home + "?handler=rename");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var (blank, blankHtml) = await owner.SubmitAsync(home, new Dictionary<string, string> { ["name"] = "   " }, home + "?handler=rename");
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Contains("The name was not changed.", blankHtml, StringComparison.Ordinal);
        Assert.Equal(before, (await Factory.Get<WorkspaceRepository>().FindAsync(team.WorkspaceId, CancellationToken.None))!.Name);

        var (renamed, _) = await owner.SubmitAsync(home, new Dictionary<string, string> { ["name"] = "Platform team" }, home + "?handler=rename");
        Assert.Equal(HttpStatusCode.Redirect, renamed.StatusCode);
        Assert.Equal("Platform team", (await Factory.Get<WorkspaceRepository>().FindAsync(team.WorkspaceId, CancellationToken.None))!.Name);
        var (status, body) = await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url(string.Empty), new { name = "Platform" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Platform", body!["name"]!.GetValue<string>());

        // Readable audit: sentences with names, dates rather than epoch milliseconds, a picker of known types.
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url($"/members/{team.Members["member"].User.Id}"), new { role = "admin" });
        await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "7d" });
        var (_, audit) = await owner.GetAsync($"{home}/audit");
        var text = WebUtility.HtmlDecode(audit);
        Assert.Contains($"Renamed the workspace from “{before}” to “Platform team”.", text, StringComparison.Ordinal);
        Assert.Contains($"Changed {team.Members["member"].User.Email}’s role from member to admin.", text, StringComparison.Ordinal);
        Assert.Matches("Created the access token “ci”, expiring \\d+ \\w+ \\d{4}, \\d\\d:\\d\\d UTC\\.", text);
        Assert.DoesNotMatch("\\b1\\d{12}\\b", Regex.Match(audit, "<table id=\"events\".*?</table>", RegexOptions.Singleline).Value);
        Assert.Contains($"<option value=\"{AuditEventTypes.WorkspaceRenamed}\"", audit, StringComparison.Ordinal);
        Assert.Contains("<option value=\"access_token.\"", audit, StringComparison.Ordinal);
        // Two renames, each audited with the names before and after; a rename to the same name records nothing.
        Assert.Equal(2, (await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.WorkspaceRenamed, team.Owner.Id, 10, CancellationToken.None)).Count(e => e.WorkspaceId == team.WorkspaceId));

        // A filter that matches nothing says so.
        var (_, none) = await owner.GetAsync($"{home}/audit?type=api_key.revoked");
        Assert.Contains("No events match these filters.", none, StringComparison.Ordinal);
        Assert.Contains("<option value=\"api_key.revoked\" selected=\"selected\">", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_have_one_Latchkey_in_their_title_and_empty_tables_say_something()
    {
        var team = await Team.CreateAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, team.Owner);
        var (_, start) = await session.GetAsync("/");
        Assert.Contains("<title>Latchkey</title>", start, StringComparison.Ordinal);
        var (_, tokens) = await session.GetAsync($"/console/{team.WorkspaceId}/tokens");
        Assert.Contains("<title>Access tokens · Latchkey</title>", WebUtility.HtmlDecode(tokens), StringComparison.Ordinal);
        Assert.Contains("id=\"tokens-empty\"", tokens, StringComparison.Ordinal);
        var (_, keys) = await session.GetAsync($"/console/{team.WorkspaceId}/api-keys");
        Assert.Contains("id=\"keys-empty\"", keys, StringComparison.Ordinal);
        var (_, roles) = await session.GetAsync($"/console/{team.WorkspaceId}/roles");
        Assert.Contains("id=\"roles-empty\"", roles, StringComparison.Ordinal);
    }
}
