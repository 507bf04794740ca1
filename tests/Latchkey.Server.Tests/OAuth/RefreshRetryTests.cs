using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>
/// Refresh rotation with honest retries and reuse detection (RFC 9700 §4.14.2; docs/server-security.md "Refresh
/// rotation"), on each engine: a retry of a just-rotated token from the same client and address gets the same
/// successor while it is unused, inside a 60 s window that never renews; anything else revokes the grant.
/// </summary>
public abstract class RefreshRetryTests(DatabaseEngine engine) : ServerTest(engine)
{
    private const string OtherMachine = "127.0.0.2";

    private async Task<(HttpStatusCode Status, JsonObject Body)> RefreshAsync(string token, string? from = null)
    {
        var client = Factory.CreateClient();
        if (from is not null)
        {
            client.DefaultRequestHeaders.Add(TestRemoteAddress.Header, from);
        }

        return await OAuthFlows.RefreshAsync(client, token);
    }

    private async Task<string> SignInAsync() => (string)(await OAuthFlows.SignInAndGetTokensAsync(Factory)).Tokens["refresh_token"]!;

    private async Task AssertRevokedAsync(string liveToken, string accessToken)
    {
        var (status, body) = await RefreshAsync(liveToken);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_invalidated", (string?)body["code"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Factory.CreateClient().SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Retry_SameClientAndAddress_SuccessorUnused_GetsSameSuccessorAndFreshAccessToken()
    {
        var r0 = await SignInAsync();
        var (_, first) = await RefreshAsync(r0);
        Factory.Clock.Advance(TimeSpan.FromSeconds(45)); // a server restart took 13-45 s

        var (status, again) = await RefreshAsync(r0);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((string?)first["refresh_token"], (string?)again["refresh_token"]);
        Assert.NotEqual((string?)first["access_token"], (string?)again["access_token"]);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((string)again["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Retry_WindowAnchoredAtRotation_NeverRenews_Rfc9700Section4_14_2()
    {
        var r0 = await SignInAsync();
        var (_, first) = await RefreshAsync(r0);
        Factory.Clock.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(r0)).Status);
        Factory.Clock.Advance(TimeSpan.FromSeconds(21)); // 61 s after the rotation, 21 s after the last retry

        var (status, body) = await RefreshAsync(r0);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_reused", (string?)body["code"]);
        await AssertRevokedAsync((string)first["refresh_token"]!, (string)first["access_token"]!);
    }

    [Fact]
    public async Task Retry_AfterSuccessorWasUsed_IsReuse_GrantRevokedAndAudited_Rfc9700Section4_14_2()
    {
        // A thief alternating with the client: the old copy gets the unused successor once, but as soon as the
        // chain moves on the old copy is reuse, and the whole family (with its access tokens) goes.
        var r0 = await SignInAsync();
        var (_, r1) = await RefreshAsync(r0);
        Factory.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(r0)).Status);
        Factory.Clock.Advance(TimeSpan.FromSeconds(10));
        var (_, r2) = await RefreshAsync((string)r1["refresh_token"]!);
        Factory.Clock.Advance(TimeSpan.FromSeconds(10));

        var (status, body) = await RefreshAsync(r0);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_reused", (string?)body["code"]);
        await AssertRevokedAsync((string)r2["refresh_token"]!, (string)r2["access_token"]!);
        var events = await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.RefreshTokenReuseDetected, null, 10, CancellationToken.None);
        Assert.Single(events);
        Assert.Equal("127.0.0.1", events[0].IpAddress);
        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.GrantRevoked, null, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Retry_FromAnotherAddress_IsReuseEvenInsideWindow_Rfc9700Section4_14_2()
    {
        var r0 = await SignInAsync();
        var (_, r1) = await RefreshAsync(r0);

        var (status, body) = await RefreshAsync(r0, from: OtherMachine);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("refresh_token_reused", (string?)body["code"]);
        await AssertRevokedAsync((string)r1["refresh_token"]!, (string)r1["access_token"]!);
    }

    [Fact]
    public async Task StolenCopyUsedFirstElsewhere_HonestRetryFromHome_RevokesGrant_Rfc9700Section4_14_2()
    {
        var r0 = await SignInAsync();
        var (_, stolen) = await RefreshAsync(r0, from: OtherMachine);

        var (status, _) = await RefreshAsync(r0);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        await AssertRevokedAsync((string)stolen["refresh_token"]!, (string)stolen["access_token"]!);
    }

    [Fact]
    public async Task OldCopyPolledEveryFewSeconds_CannotFollowTheChain_RevokedWhenWindowEnds()
    {
        var r0 = await SignInAsync();
        var (_, r1) = await RefreshAsync(r0);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        HttpStatusCode status;
        var polls = 0;
        do
        {
            Factory.Clock.Advance(TimeSpan.FromSeconds(5));
            (status, var body) = await RefreshAsync(r0);
            if (status == HttpStatusCode.OK)
            {
                seen.Add((string)body["refresh_token"]!);
            }

            polls++;
        }
        while (status == HttpStatusCode.OK && polls < 100);

        Assert.Equal(13, polls); // 12 polls inside 60 s, the 13th (65 s) is reuse
        Assert.Equal([(string)r1["refresh_token"]!], seen); // only ever the same successor: no chain to follow
        await AssertRevokedAsync((string)r1["refresh_token"]!, (string)r1["access_token"]!);
    }

    [Fact]
    public async Task ConcurrentRefreshOfOneToken_OneRotation_AllAnsweredWithTheSameSuccessor()
    {
        var r0 = await SignInAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => RefreshAsync(r0)));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Single(results.Select(r => (string)r.Body["refresh_token"]!).Distinct());
        var successor = await Factory.Get<GrantRepository>().FindRefreshTokenAsync(SecretDigest.Compute((string)results[0].Body["refresh_token"]!), CancellationToken.None);
        Assert.NotNull(successor);
        Assert.Null(successor.ConsumedAt);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((string)results[0].Body["refresh_token"]!)).Status);
    }

    [Fact]
    public async Task Refresh_OneConnectionPerGrant_HotPathBudget()
    {
        var r0 = await SignInAsync();
        await Factory.Get<Latchkey.Server.Keys.SigningKeyService>().GetActiveKeyAsync(CancellationToken.None); // key cache warm, as on a running server
        Factory.Connections.Reset();

        var (status, r1) = await RefreshAsync(r0);
        var rotation = Factory.Connections.Opened;
        Factory.Connections.Reset();
        await RefreshAsync(r0);
        var retry = Factory.Connections.Opened;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(r1["refresh_token"]);
        Assert.Equal(1, rotation); // before: 7 (and the membership read 3 times)
        Assert.Equal(1, retry);
    }

    [Fact]
    public async Task SealedSuccessor_ForgottenOnceUsedOrPastWindow_OnlyDigestsRemain()
    {
        var r0 = await SignInAsync();
        var (_, r1) = await RefreshAsync(r0);
        var (_, r2) = await RefreshAsync((string)r1["refresh_token"]!);
        var db = Factory.Database.CreateFactory();
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            // r1 was used: its sealed copy is gone; only the live successor r2 is still sealed.
            var sealedCount = await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM refresh_tokens WHERE sealed_secret IS NOT NULL");
            Assert.Equal(1, sealedCount);
            var all = string.Join(' ', await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT COALESCE(sealed_secret, '') || token_hash FROM refresh_tokens"));
            Assert.DoesNotContain((string)r2["refresh_token"]!, all, StringComparison.Ordinal);
        }

        Factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await Factory.Get<Latchkey.Server.Hosting.ExpiredDataCleanup>().RunOnceAsync(CancellationToken.None);
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(0, await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM refresh_tokens WHERE sealed_secret IS NOT NULL"));
        }
    }
}

public sealed class SqliteRefreshRetryTests() : RefreshRetryTests(DatabaseEngine.Sqlite);

public sealed class PostgresRefreshRetryTests() : RefreshRetryTests(DatabaseEngine.Postgres);
