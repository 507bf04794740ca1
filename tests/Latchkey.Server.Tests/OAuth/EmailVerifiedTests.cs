using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>
/// OIDC Core §5.1: `email_verified` is true only if the address was verified. Relying parties link accounts by verified
/// email, so claiming it for an address anyone could type (an open invitation link) would let them take over accounts.
/// </summary>
public abstract class EmailVerifiedTests(DatabaseEngine engine) : ServerTest(engine)
{
    [Fact]
    public async Task NewAccount_IdTokenAndUserInfo_SayNotVerified_OidcCoreSection5_1()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        Assert.False(IdTokenEmailVerified(tokens));
        Assert.False(await UserInfoEmailVerifiedAsync(tokens));
    }

    [Fact]
    public async Task AfterOperatorVerifies_NewTokensAndUserInfo_SayVerified_OidcCoreSection5_1()
    {
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);

        var first = await Factory.Get<AccountService>().MarkEmailVerifiedAsync(user.Email.ToUpperInvariant(), "operator", CancellationToken.None);
        var again = await Factory.Get<AccountService>().MarkEmailVerifiedAsync(user.Email, "operator", CancellationToken.None);
        var (status, refreshed) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)tokens["refresh_token"]!);

        Assert.True(first);
        Assert.False(again);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(IdTokenEmailVerified(refreshed));
        Assert.True(await UserInfoEmailVerifiedAsync(tokens)); // userinfo reads the account now, even for an older access token
        Assert.NotNull((await Factory.Get<UserRepository>().FindByIdAsync(user.Id, CancellationToken.None))!.EmailVerifiedAt);
        var events = await Factory.Get<AuditRepository>().QueryAsync(null, null, 1000, CancellationToken.None);
        Assert.Single(events, e => e.EventType == AuditEventTypes.EmailVerified && e.UserId == user.Id);
    }

    [Fact]
    public async Task VerifyingAnUnknownAddress_ChangesNothing()
    {
        Assert.Null(await Factory.Get<AccountService>().MarkEmailVerifiedAsync("nobody-" + Guid.NewGuid().ToString("N") + "@example.com", "operator", CancellationToken.None));
    }

    private static bool IdTokenEmailVerified(JsonObject tokens)
    {
        Assert.True(JwtCodec.TryDecodeUnverified((string)tokens["id_token"]!, out _, out var claims));
        return (bool)claims["email_verified"]!;
    }

    private async Task<bool> UserInfoEmailVerifiedAsync(JsonObject tokens)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (string)tokens["access_token"]!);
        using var response = await Factory.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (bool)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["email_verified"]!;
    }
}

public sealed class SqliteEmailVerifiedTests() : EmailVerifiedTests(DatabaseEngine.Sqlite);

public sealed class PostgresEmailVerifiedTests() : EmailVerifiedTests(DatabaseEngine.Postgres);
