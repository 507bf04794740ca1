using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>
/// The unclaimed rule (issue 12, docs/server-security.md "Unclaimed sign-ins"; RFC 9700 §2.2.2 on limiting what a
/// refresh token nobody holds can do): a sign-in whose tokens were never used — codex dropped them because it is
/// pinned to another workspace — is revoked after Latchkey:Lifetimes:UnclaimedSignIn (7 days), by the cleanup or at
/// its first refresh, whichever comes first. Any use claims it for good, so an honest person keeps their sign-in.
/// </summary>
public abstract class UnclaimedSignInTests(DatabaseEngine engine) : ServerTest(engine)
{
    private static readonly TimeSpan PastWindow = TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1);

    private Task<(HttpStatusCode Status, JsonObject Body)> RefreshAsync(string token) => OAuthFlows.RefreshAsync(Factory.CreateClient(), token);

    private async Task<JsonObject> SignInAsync() => (await OAuthFlows.SignInAndGetTokensAsync(Factory)).Tokens;

    private async Task<HttpStatusCode> UserinfoAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return (await Factory.CreateClient().SendAsync(request)).StatusCode;
    }

    private Task<int> CleanupAsync() => Factory.Get<ExpiredDataCleanup>().RunOnceAsync(CancellationToken.None);

    private async Task<IReadOnlyList<string?>> UnclaimedRevocationsAsync()
        => [.. (await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.GrantRevoked, null, 10, CancellationToken.None))
            .Select(e => e.Detail).Where(d => d is not null && d.Contains("\"unclaimed\"", StringComparison.Ordinal))];

    [Fact]
    public async Task Never_used_sign_in_is_revoked_by_the_cleanup_after_the_window_and_audited()
    {
        var tokens = await SignInAsync();
        Factory.Clock.Advance(PastWindow);

        await CleanupAsync();

        Assert.Single(await UnclaimedRevocationsAsync());
        var (status, body) = await RefreshAsync((string)tokens["refresh_token"]!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_invalidated", (string?)body["code"]);
    }

    [Fact]
    public async Task Never_used_sign_in_refreshed_after_the_window_is_refused_before_any_cleanup_and_stays_revoked()
    {
        var tokens = await SignInAsync();
        Factory.Clock.Advance(PastWindow);

        var (status, body) = await RefreshAsync((string)tokens["refresh_token"]!);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
        Assert.Contains("never used within 7 days", (string?)body["error_description"], StringComparison.Ordinal);
        Assert.Single(await UnclaimedRevocationsAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await RefreshAsync((string)tokens["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Sign_in_whose_access_token_was_presented_is_claimed_and_kept()
    {
        var tokens = await SignInAsync();
        Assert.Equal(HttpStatusCode.OK, await UserinfoAsync((string)tokens["access_token"]!));
        Factory.Clock.Advance(PastWindow);

        await CleanupAsync();

        Assert.Empty(await UnclaimedRevocationsAsync());
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((string)tokens["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Sign_in_refreshed_once_is_claimed_and_kept()
    {
        var tokens = await SignInAsync();
        Factory.Clock.Advance(TimeSpan.FromDays(1));
        var (_, refreshed) = await RefreshAsync((string)tokens["refresh_token"]!);
        Factory.Clock.Advance(PastWindow);

        await CleanupAsync();

        Assert.Empty(await UnclaimedRevocationsAsync());
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((string)refreshed["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Unused_sign_in_inside_the_window_is_kept_signed_in_on_friday_used_on_monday()
    {
        var tokens = await SignInAsync();
        Factory.Clock.Advance(TimeSpan.FromDays(3));

        await CleanupAsync();

        Assert.Empty(await UnclaimedRevocationsAsync());
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((string)tokens["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Automation_access_token_grants_are_not_sign_ins_and_are_left_alone()
    {
        var team = await Team.CreateAsync(Factory, ("admin", "admin"));
        var (_, created) = await team.Client("admin").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "ci", expiration = "30d" });
        Factory.Clock.Advance(PastWindow);

        await CleanupAsync();

        var (status, _) = await team.ClientFor(created!["token"]!.GetValue<string>()).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami");
        Assert.Equal(HttpStatusCode.OK, status);
    }
}

public sealed class SqliteUnclaimedSignInTests() : UnclaimedSignInTests(DatabaseEngine.Sqlite);

public sealed class PostgresUnclaimedSignInTests() : UnclaimedSignInTests(DatabaseEngine.Postgres);
