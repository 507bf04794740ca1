using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Workspaces;

public sealed class AccessTokenApiSqliteTests() : AccessTokenApiTests(DatabaseEngine.Sqlite);

public sealed class AccessTokenApiPostgresTests() : AccessTokenApiTests(DatabaseEngine.Postgres);

public abstract class AccessTokenApiTests(DatabaseEngine engine) : ServerTest(engine)
{
    private async Task<Team> TeamWithTokensAsync(long? maxDays = null)
    {
        var team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin), ("member", WorkspaceRoles.Member));
        var (status, body) = await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true, access_token_max_days = maxDays });
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return team;
    }

    [Fact]
    public async Task Member_creates_a_token_shown_once_and_stored_only_as_a_digest()
    {
        var team = await TeamWithTokensAsync();
        var (status, body) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "CI deploy", expiration = "30d" });
        Assert.Equal(HttpStatusCode.Created, status);
        var secret = body!["token"]!.GetValue<string>();
        Assert.True(TokenFormat.IsWellFormed(secret, TokenFormat.AccessTokenPrefix));
        Assert.Equal("active", body["status"]!.GetValue<string>());

        // Listing never shows it again, and the database holds its digest only.
        var (_, list) = await team.Client("member").SendAsync(HttpMethod.Get, team.Url("/access-tokens"));
        Assert.DoesNotContain(secret, list!.ToJsonString(), StringComparison.Ordinal);
        var row = await Factory.Get<AccessTokenRepository>().FindByHashAsync(SecretDigest.Compute(secret), CancellationToken.None);
        Assert.NotNull(row);
        Assert.NotEqual(secret, row.TokenHash);
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt!.Value);
        Assert.Equal(Factory.Clock.GetUtcNow().AddDays(30), expires, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Whoami_answers_for_a_valid_token_and_records_the_use()
    {
        var team = await TeamWithTokensAsync();
        var (_, created) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "runner", expiration = "7d" });
        var secret = created!["token"]!.GetValue<string>();

        var (status, who) = await team.ClientFor(secret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(team.Members["member"].User.Email, who!["email"]!.GetValue<string>());
        Assert.Equal(team.WorkspaceId, who["chatgpt_account_id"]!.GetValue<string>());
        Assert.Equal(team.Members["member"].User.Id, who["chatgpt_user_id"]!.GetValue<string>());
        Assert.Equal("team", who["chatgpt_plan_type"]!.GetValue<string>());
        Assert.False(who["chatgpt_account_is_fedramp"]!.GetValue<bool>());

        var (_, list) = await team.Client("member").SendAsync(HttpMethod.Get, team.Url("/access-tokens"));
        Assert.NotNull(list!["access_tokens"]![0]!["last_used_at"]);
        await Factory.FlushUsageEventsAsync();
        var events = await Factory.Get<AuditRepository>().QueryAsync("access_token.used", team.Members["member"].User.Id, 10, CancellationToken.None);
        var used = Assert.Single(events);
        Assert.Equal(team.WorkspaceId, used.WorkspaceId);
        Assert.DoesNotContain(secret, used.Detail!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_expired_and_orphaned_tokens_are_refused_with_the_reason()
    {
        var team = await TeamWithTokensAsync();
        async Task<(string Id, string Secret)> CreateAsync(string label, string expiration = "7d")
        {
            var (_, body) = await team.Client(label).SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "t", expiration });
            return (body!["id"]!.GetValue<string>(), body["token"]!.GetValue<string>());
        }

        async Task<(HttpStatusCode, string)> WhoamiAsync(string secret)
        {
            var (status, body) = await team.ClientFor(secret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
            return (status, body?["detail"]?.GetValue<string>() ?? string.Empty);
        }

        var revoked = await CreateAsync("member");
        var expiring = await CreateAsync("member");
        var orphan = await CreateAsync("member");
        Assert.Equal(HttpStatusCode.NoContent, (await team.Client("admin").SendAsync(HttpMethod.Delete, team.Url($"/access-tokens/{revoked.Id}"))).Status);
        var (s1, m1) = await WhoamiAsync(revoked.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, s1);
        Assert.Contains("revoked", m1, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await team.Client("owner").SendAsync(HttpMethod.Delete, team.Url($"/members/{team.Members["member"].User.Id}"))).Status);
        var (s3, m3) = await WhoamiAsync(orphan.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, s3);
        Assert.Contains("no longer a member", m3, StringComparison.Ordinal);

        Factory.Clock.Advance(TimeSpan.FromDays(8));
        var (s2, m2) = await WhoamiAsync(expiring.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, s2);
        Assert.Contains("expired", m2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_access_off_refuses_members_tokens_with_the_403_message_but_not_admins()
    {
        var team = await TeamWithTokensAsync();
        var (_, member) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "m", expiration = "7d" });
        var (_, admin) = await team.Client("admin").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "a", expiration = "7d" });
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { local_access_enabled = false });

        var (status, body) = await team.ClientFor(member!["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("403 - Unauthorized. Contact your workspace administrator for access.", body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await team.ClientFor(admin!["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami")).Status);
    }

    [Theory]
    [InlineData("sk-lk-", "API key")]
    [InlineData("jwt", "sign-in token")]
    public async Task Whoami_names_the_right_credential_kind_when_given_another(string kind, string named)
    {
        var team = await TeamWithTokensAsync();
        var bearer = kind == "jwt" ? team.Members["member"].AccessToken : TokenFormat.Generate(TokenFormat.ApiKeyPrefix);
        var (status, body) = await team.ClientFor(bearer).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("wrong_credential_type", body!["code"]!.GetValue<string>());
        Assert.Contains(named, body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("access token (at-…)", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_exchange_RFC8693_gives_a_short_lived_jwt_that_never_outlives_the_access_token()
    {
        var team = await TeamWithTokensAsync();
        var tomorrow = Factory.Clock.GetUtcNow().AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (_, created) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "x", expiration = "custom", expires_at = tomorrow });
        Assert.NotNull(created?["token"]);
        var secret = created!["token"]!.GetValue<string>();

        var (status, response) = await OAuthFlows.TokenAsync(Factory.CreateClient(), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["client_id"] = OAuthFlows.CliClient,
            ["subject_token"] = secret,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
        });
        Assert.True(status == HttpStatusCode.OK, response.ToJsonString());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", response["issued_token_type"]!.GetValue<string>());
        Assert.Null(response["refresh_token"]);
        var jwt = response["access_token"]!.GetValue<string>();
        var (meStatus, me) = await team.ClientFor(jwt).SendAsync(HttpMethod.Get, "/api/v1/me");
        Assert.Equal(HttpStatusCode.OK, meStatus);
        Assert.Equal(team.WorkspaceId, me!["workspace_id"]!.GetValue<string>());

        // Near the token's end the JWT is cut to it.
        Factory.Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(2) - (Factory.Clock.GetUtcNow() - Factory.Clock.GetUtcNow().Date));
        var (_, late) = await OAuthFlows.TokenAsync(Factory.CreateClient(), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["client_id"] = OAuthFlows.CliClient,
            ["subject_token"] = secret,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
        });
        Assert.True(late["expires_in"]!.GetValue<long>() <= 120, late.ToJsonString());

        // Revoking the access token stops the exchanged JWT at once (its grant is revoked with it).
        await team.Client("member").SendAsync(HttpMethod.Delete, team.Url($"/access-tokens/{created["id"]!.GetValue<string>()}"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await team.ClientFor(jwt).SendAsync(HttpMethod.Get, "/api/v1/me")).Status);
    }
}
