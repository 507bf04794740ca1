using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Console;

public sealed class ConsolePageSqliteTests(SqliteConsoleFixture fixture) : ConsolePageTests(fixture), IClassFixture<SqliteConsoleFixture>;

public sealed class ConsolePagePostgresTests(PostgresConsoleFixture fixture) : ConsolePageTests(fixture), IClassFixture<PostgresConsoleFixture>;

/// <summary>
/// The console as a browser without JavaScript uses it (issue 17): secrets shown once after a redirect, destructive
/// actions only after a confirmation, a member home that works under default policies, masked secrets with last use,
/// readable audit sentences, and renaming a workspace.
/// </summary>
public abstract partial class ConsolePageTests(ConsoleFixture fixture)
{
    private LatchkeyServerFactory Factory => fixture.Factory;

    /// <summary>
    /// Post/redirect/get: the POST answers with a redirect to the plain page (no secret in the URL), the GET shows the
    /// secret once with no-store, and a reload neither shows it again nor creates a second token (ASVS 5.0 §14.2.1:
    /// no secret in URLs; §14.3.2: no caching of sensitive pages).
    /// </summary>
    [Fact]
    public async Task A_new_access_token_is_shown_once_after_a_redirect_and_a_reload_neither_shows_nor_recreates_it()
    {
        var team = await Team.CreateAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, team.Owner);
        var page = $"/console/{team.WorkspaceId}/tokens";

        var (created, _) = await session.SubmitAsync(page, new Dictionary<string, string> { ["name"] = "nightly", ["expiration"] = "7d" }, page + "?handler=create");
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(page, created.Headers.Location!.OriginalString);

        var (shown, html) = await session.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Contains("no-store", shown.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var secret = WebSession.Hidden(html.Replace("id=\"token-value\"", "name=\"token-value\"", StringComparison.Ordinal), "token-value");
        Assert.True(TokenFormat.IsWellFormed(secret, TokenFormat.AccessTokenPrefix), html);
        // The TempData cookie that carried it is data-protected: the secret is not readable in it.
        Assert.DoesNotContain(secret!, string.Join(";", created.Headers.TryGetValues("Set-Cookie", out var c) ? c : []), StringComparison.Ordinal);

        var (reloaded, again) = await session.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.DoesNotContain(secret!, again, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"token-value\"", again, StringComparison.Ordinal);
        var token = Assert.Single(await Factory.Get<AccessTokenRepository>().ListAsync(team.WorkspaceId, null, CancellationToken.None));

        // The table shows the mask the CLI prints for the same secret, stored at creation (migration 0011).
        Assert.Equal(TokenFormat.Mask(secret), token.DisplayMask);
        Assert.Contains($"<code class=\"mask\">{TokenFormat.Mask(secret)}</code>", again, StringComparison.Ordinal);

        // Used once from an address: the table says when and from where.
        using var bearer = Factory.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync(new Uri("/api/accounts/v1/user-auth-credential/whoami", UriKind.Relative))).StatusCode);
        var (_, used) = await session.GetAsync(page);
        var row = Regex.Match(used, "<tr data-token=.*?</tr>", RegexOptions.Singleline).Value;
        Assert.Matches("Last used\"><time datetime=\"\\d{4}-\\d\\d-\\d\\dT[^\"]+Z\" title=\"[^\"]+UTC\">just now</time>", row);
    }

    [Fact]
    public async Task A_new_api_key_and_an_invitation_link_are_shown_once_after_a_redirect()
    {
        var team = await Team.CreateAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, team.Owner);
        foreach (var (page, fields, handler, field) in new[]
        {
            ($"/console/{team.WorkspaceId}/api-keys", new Dictionary<string, string> { ["name"] = "gateway" }, "create", "key-value"),
            ($"/console/{team.WorkspaceId}/members", new Dictionary<string, string> { ["email"] = string.Empty, ["role"] = "member" }, "invite", "invite-url"),
        })
        {
            var (posted, _) = await session.SubmitAsync(page, fields, page + "?handler=" + handler);
            Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
            Assert.Equal(page, posted.Headers.Location!.OriginalString);
            var (_, html) = await session.GetAsync(page);
            Assert.Contains($"id=\"{field}\"", html, StringComparison.Ordinal);
            var (_, again) = await session.GetAsync(page);
            Assert.DoesNotContain($"id=\"{field}\"", again, StringComparison.Ordinal);
        }

        Assert.Single(await Factory.Get<ApiKeyRepository>().ListAsync(team.WorkspaceId, CancellationToken.None));
        Assert.Single(await Factory.Get<WorkspaceRepository>().ListOpenInvitationsAsync(team.WorkspaceId, 0, CancellationToken.None));
    }

    /// <summary>Revoke, remove and delete change nothing on the first POST; they ask, and act only on confirm=yes.</summary>
    [Fact]
    public async Task Revoke_remove_and_delete_change_nothing_until_confirmed()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        var roleId = await team.CreateRoleAsync("Auditors", Permissions.ReadAuditLog);
        var (_, token) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "7d" });
        var tokenId = token!["id"]!.GetValue<string>();
        var memberId = team.Members["member"].User.Id;
        using var session = await TestAccounts.SignInAsync(Factory, team.Owner);
        var ws = $"/console/{team.WorkspaceId}";

        foreach (var (page, handler, field, id, what) in new[]
        {
            ($"{ws}/tokens", "revoke", "tokenId", tokenId, "Revoke your access token “ci”"),
            ($"{ws}/members", "remove", "userId", memberId, $"Remove {team.Members["member"].User.Email} from this workspace?"),
            ($"{ws}/roles", "delete", "roleId", roleId, "Delete the role “Auditors”?"),
        })
        {
            var (asked, _) = await session.SubmitAsync(page, new Dictionary<string, string> { [field] = id }, $"{page}?handler={handler}");
            Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
            var confirmUrl = asked.Headers.Location!.OriginalString;
            Assert.Equal($"{page}?confirm={handler}&{field}={id}", confirmUrl);

            var (_, question) = await session.GetAsync(confirmUrl);
            Assert.Contains(what, WebUtility.HtmlDecode(question), StringComparison.Ordinal);
            Assert.Contains("name=\"confirm\" value=\"yes\"", question, StringComparison.Ordinal);
            Assert.Contains("id=\"confirm-cancel\"", question, StringComparison.Ordinal);

            var (done, _) = await session.SubmitAsync(confirmUrl, new Dictionary<string, string> { [field] = id, ["confirm"] = "yes" }, $"{page}?handler={handler}");
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
            Assert.Equal(page, done.Headers.Location!.OriginalString);
        }

        Assert.Equal("revoked", AccessTokenService.Status((await Factory.Get<AccessTokenRepository>().FindAsync(team.WorkspaceId, tokenId, CancellationToken.None))!, Factory.Clock.GetUtcNow()));
        Assert.Null(await Factory.Get<WorkspaceRepository>().FindMembershipAsync(memberId, team.WorkspaceId, CancellationToken.None));
        Assert.Null(await Factory.Get<WorkspaceRepository>().FindRoleAsync(team.WorkspaceId, roleId, CancellationToken.None));
    }

    [Fact]
    public async Task An_unconfirmed_revoke_leaves_the_token_working()
    {
        var team = await Team.CreateAsync(Factory);
        var (_, token) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "7d" });
        using var session = await TestAccounts.SignInAsync(Factory, team.Owner);
        var page = $"/console/{team.WorkspaceId}/tokens";
        var (asked, _) = await session.SubmitAsync(page, new Dictionary<string, string> { ["tokenId"] = token!["id"]!.GetValue<string>(), ["confirm"] = "no" }, page + "?handler=revoke");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var (status, _) = await team.ClientFor(token["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
