using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Workspaces;

public sealed class TokenRotationSqliteTests() : TokenRotationTests(DatabaseEngine.Sqlite);

public sealed class TokenRotationPostgresTests() : TokenRotationTests(DatabaseEngine.Postgres);

/// <summary>
/// A rotated access token authenticates as its creator, so rotation is the creator's alone (ASVS 5.0 §8.2.2:
/// access to a data item only with explicit permission to that item). Before this rule an admin, or a member whose
/// custom role held access_tokens.manage, rotated the owner's token, received a secret that was the owner, and
/// promoted themselves with it.
/// </summary>
public abstract partial class TokenRotationTests(DatabaseEngine engine) : ServerTest(engine)
{
    private static readonly string[] Actors = ["owner", "admin", "manager", "member"];

    [Fact]
    public async Task Rotation_never_hands_anyone_a_secret_that_authenticates_as_someone_else_ASVS_8_2_2()
    {
        var team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin), ("member", WorkspaceRoles.Member));
        await team.AddAsync("manager", await team.CreateRoleAsync("Token managers", Permissions.ManageAccessTokens, Permissions.CreateAccessTokens));
        Assert.Equal(HttpStatusCode.OK, (await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true })).Status);
        var tokens = new Dictionary<string, (string Id, string Secret)>(StringComparer.Ordinal);
        foreach (var actor in Actors)
        {
            var (status, body) = await team.Client(actor).SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = actor + "'s", expiration = "30d" });
            Assert.True(status == HttpStatusCode.Created, body?.ToJsonString());
            tokens[actor] = (body!["id"]!.GetValue<string>(), body["token"]!.GetValue<string>());
        }

        foreach (var rotator in Actors)
        {
            foreach (var victim in Actors.Where(v => v != rotator))
            {
                var (status, body) = await team.Client(rotator).SendAsync(HttpMethod.Post, team.Url($"/access-tokens/{tokens[victim].Id}/rotate"));
                var what = $"{rotator} rotating {victim}'s token: {(int)status} {body?.ToJsonString()}";
                Assert.True(status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, what);
                Assert.Null(body?["token"]);
                Assert.DoesNotContain("at-", body?.ToJsonString() ?? string.Empty, StringComparison.Ordinal);
            }
        }

        // Managers see everyone's tokens, so they are told why: revoke instead.
        var (adminStatus, adminBody) = await team.Client("admin").SendAsync(HttpMethod.Post, team.Url($"/access-tokens/{tokens["owner"].Id}/rotate"));
        Assert.Equal(HttpStatusCode.Forbidden, adminStatus);
        Assert.Contains("Revoke it instead", adminBody!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Every victim's token still works, as its creator; and each creator's own rotation yields a secret that is them.
        foreach (var actor in Actors)
        {
            Assert.Equal(team.Members[actor].User.Id, await WhoamiUserAsync(team, tokens[actor].Secret));
            var (status, rotated) = await team.Client(actor).SendAsync(HttpMethod.Post, team.Url($"/access-tokens/{tokens[actor].Id}/rotate"));
            Assert.True(status == HttpStatusCode.Created, rotated?.ToJsonString());
            Assert.Equal(team.Members[actor].User.Id, await WhoamiUserAsync(team, rotated!["token"]!.GetValue<string>()));
        }

        // The audit names the real actor, who is also the creator.
        var events = await Factory.Get<AuditRepository>().QueryAsync("access_token.rotated", team.Members["admin"].User.Id, 10, CancellationToken.None);
        Assert.Equal(team.Members["admin"].User.Id, Assert.Single(events).UserId);
        Assert.Contains(team.Members["admin"].User.Id, events[0].Detail!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_refuses_rotating_another_persons_token_and_shows_no_secret_ASVS_8_2_2()
    {
        var team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin));
        await team.AddAsync("manager", await team.CreateRoleAsync("Token managers", Permissions.ManageAccessTokens));
        var (_, created) = await team.Client("owner").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "owner's", expiration = "30d" });
        var ownerTokenId = created!["id"]!.GetValue<string>();
        foreach (var actor in new[] { "admin", "manager" })
        {
            using var session = await TestAccounts.SignInAsync(Factory, team.Members[actor].User);
            var page = $"/console/{team.WorkspaceId}/tokens";
            var (list, listHtml) = await session.GetAsync(page);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Contains(ownerTokenId, listHtml, StringComparison.Ordinal); // they see it, and may revoke it

            var (response, html) = await session.SubmitAsync(page, new Dictionary<string, string> { ["tokenId"] = ownerTokenId }, page + "?handler=rotate");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain("id=\"new-token\"", html, StringComparison.Ordinal);
            Assert.False(SecretPattern().IsMatch(html), $"{actor} was shown a secret");
        }

        var (whoStatus, _) = await team.ClientFor(created["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.OK, whoStatus);
    }

    private static async Task<string?> WhoamiUserAsync(Team team, string secret)
    {
        var (status, who) = await team.ClientFor(secret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.OK, status);
        return who!["chatgpt_user_id"]!.GetValue<string>();
    }

    [GeneratedRegex(@"at-[0-9A-Za-z]{40,}")]
    private static partial Regex SecretPattern();
}
