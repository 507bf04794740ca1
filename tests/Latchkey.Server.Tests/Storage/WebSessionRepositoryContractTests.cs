using Dapper;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Server.Tests.Storage;

/// <summary>Web sessions and revoking a user's sign-ins, on each storage engine against a fresh real database.</summary>
public abstract class WebSessionRepositoryContractTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const long Hour = 3600_000;
    private TestDatabase database = null!;

    private IDbConnectionFactory Db { get; set; } = null!;

    private WebSessionRepository Sessions => new(Db);

    public async ValueTask InitializeAsync()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        database = await TestDatabase.CreateAsync(engine);
        Db = database.CreateFactory();
        await new SchemaMigrator(Db, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (Db is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }

        await database.DisposeAsync();
    }

    private async Task<UserRow> NewUserAsync()
    {
        var email = $"u-{Guid.NewGuid():N}@example.com";
        var user = new UserRow { Id = "user_" + Guid.NewGuid().ToString("N"), Email = email, NormalizedEmail = email, PasswordHash = "h", CreatedAt = 1 };
        var ws = new WorkspaceRow { Id = "ws_" + Guid.NewGuid().ToString("N"), Name = "w", PlanType = "team", PersonalOwnerId = user.Id, CreatedAt = 1 };
        Assert.True(await new UserRepository(Db).TryCreateAsync(user, ws, CancellationToken.None));
        return user;
    }

    private async Task<WebSessionRow> NewSessionAsync(string userId, long createdAt = 1000, long expiresAt = 12 * Hour)
    {
        var row = new WebSessionRow
        {
            Id = "sess_" + Guid.NewGuid().ToString("N"),
            TokenHash = "hash-" + Guid.NewGuid().ToString("N"),
            UserId = userId,
            CreatedAt = createdAt,
            ExpiresAt = expiresAt,
            LastSeenAt = createdAt,
            AuthTime = createdAt,
            MfaMethod = "totp",
            Device = "Firefox on Linux",
            IpAddress = "192.0.2.7",
        };
        await Sessions.CreateAsync(row, CancellationToken.None);
        return row;
    }

    private async Task<GrantRow> NewGrantAsync(string userId, string clientId, long createdAt = 1000)
    {
        var grant = new GrantRow { Id = "grant_" + Guid.NewGuid().ToString("N"), UserId = userId, WorkspaceId = "ws", ClientId = clientId, Scope = "openid", AuthTime = 1, CreatedAt = createdAt };
        await new GrantRepository(Db).CreateAsync(grant, "rt-" + Guid.NewGuid().ToString("N"), 100 * Hour, CancellationToken.None);
        return grant;
    }

    [Fact]
    public async Task FindValid_KnownLiveSession_ReturnsItWithTheEmail_EndedOrExpiredOrUnknownIsNull_Asvs5_7_4_1()
    {
        var user = await NewUserAsync();
        var live = await NewSessionAsync(user.Id);
        var ended = await NewSessionAsync(user.Id);
        await Sessions.EndAsync(ended.Id, user.Id, "signed_out", 2000, CancellationToken.None);

        var found = await Sessions.FindValidAsync(live.TokenHash, 2000, CancellationToken.None);

        Assert.Equal(live.Id, found?.Id);
        Assert.Equal(user.Email, found?.Email);
        Assert.Null(await Sessions.FindValidAsync(ended.TokenHash, 2000, CancellationToken.None));
        Assert.Null(await Sessions.FindValidAsync(live.TokenHash, 12 * Hour, CancellationToken.None));
        Assert.NotNull(await Sessions.FindValidAsync(live.TokenHash, (12 * Hour) - 1, CancellationToken.None));
        Assert.Null(await Sessions.FindValidAsync("unknown", 2000, CancellationToken.None));
    }

    [Fact]
    public async Task End_SomeoneElsesSession_ChangesNothing()
    {
        var owner = await NewUserAsync();
        var other = await NewUserAsync();
        var session = await NewSessionAsync(owner.Id);

        Assert.False(await Sessions.EndAsync(session.Id, other.Id, "user_ended", 2000, CancellationToken.None));
        Assert.NotNull(await Sessions.FindValidAsync(session.TokenHash, 2000, CancellationToken.None));
        Assert.True(await Sessions.EndAsync(session.Id, owner.Id, "user_ended", 2000, CancellationToken.None));
        Assert.False(await Sessions.EndAsync(session.Id, owner.Id, "user_ended", 2001, CancellationToken.None));
    }

    [Fact]
    public async Task EndAllForUser_KeepsTheNamedSessionAndOtherUsers_Asvs5_7_4_3()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        var keep = await NewSessionAsync(user.Id);
        var a = await NewSessionAsync(user.Id);
        var b = await NewSessionAsync(user.Id);
        var theirs = await NewSessionAsync(other.Id);

        Assert.Equal(2, await Sessions.EndAllForUserAsync(user.Id, keep.Id, "password_changed", 2000, CancellationToken.None));
        Assert.Equal([keep.Id], (await Sessions.ListActiveForUserAsync(user.Id, 2000, CancellationToken.None)).Select(s => s.Id));
        Assert.Null(await Sessions.FindValidAsync(a.TokenHash, 2000, CancellationToken.None));
        Assert.Null(await Sessions.FindValidAsync(b.TokenHash, 2000, CancellationToken.None));
        Assert.NotNull(await Sessions.FindValidAsync(theirs.TokenHash, 2000, CancellationToken.None));
        Assert.Equal(1, await Sessions.EndAllForUserAsync(user.Id, null, "signed_out_everywhere", 2000, CancellationToken.None));
        Assert.Empty(await Sessions.ListActiveForUserAsync(user.Id, 2000, CancellationToken.None));
    }

    [Fact]
    public async Task Touch_WritesOnlyWhenLastSeenIsOlderThanTheCutoff()
    {
        var user = await NewUserAsync();
        var session = await NewSessionAsync(user.Id, createdAt: 1000);

        await Sessions.TouchAsync(session.Id, 50_000, seenAfter: 500, "198.51.100.1", CancellationToken.None);
        var unchanged = (await Sessions.ListActiveForUserAsync(user.Id, 0, CancellationToken.None)).Single();
        await Sessions.TouchAsync(session.Id, 70_000, seenAfter: 10_000, "198.51.100.1", CancellationToken.None);
        var touched = (await Sessions.ListActiveForUserAsync(user.Id, 0, CancellationToken.None)).Single();

        Assert.Equal((1000, "192.0.2.7"), (unchanged.LastSeenAt, unchanged.IpAddress));
        Assert.Equal((70_000, "198.51.100.1"), (touched.LastSeenAt, touched.IpAddress));
    }

    [Fact]
    public async Task Cleanup_RemovesExpiredAndLongEndedSessions_KeepsLiveOnes()
    {
        var user = await NewUserAsync();
        var live = await NewSessionAsync(user.Id, expiresAt: 100 * Hour);
        var expired = await NewSessionAsync(user.Id, expiresAt: 10 * Hour);
        var endedLongAgo = await NewSessionAsync(user.Id, expiresAt: 100 * Hour);
        var endedJustNow = await NewSessionAsync(user.Id, expiresAt: 100 * Hour);
        await Sessions.EndAsync(endedLongAgo.Id, user.Id, "signed_out", 2000, CancellationToken.None);
        await Sessions.EndAsync(endedJustNow.Id, user.Id, "signed_out", 48 * Hour, CancellationToken.None);

        await new MaintenanceRepository(Db).DeleteExpiredAsync(48 * Hour, CancellationToken.None);

        await using var c = await Db.OpenAsync(CancellationToken.None);
        var left = (await c.QueryAsync<string>("SELECT id FROM web_sessions")).Order().ToList();
        Assert.Equal(new[] { live.Id, endedJustNow.Id }.Order(), left);
        Assert.DoesNotContain(expired.Id, left);
    }

    [Fact]
    public async Task RevokeAllGrantsOfUser_RevokesSignInsButNotAccessTokenGrantsOrOtherUsers_Asvs5_7_4_3()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        var cli = await NewGrantAsync(user.Id, "latchkey-cli");
        var codex = await NewGrantAsync(user.Id, "codex");
        var automation = await NewGrantAsync(user.Id, AccessTokenRepository.GrantClientId);
        var theirs = await NewGrantAsync(other.Id, "latchkey-cli");
        var grants = new GrantRepository(Db);

        Assert.Equal(2, await grants.RevokeAllForUserAsync(user.Id, "password_changed", 5000, CancellationToken.None));
        Assert.Equal("password_changed", (await grants.FindAsync(cli.Id, CancellationToken.None))!.RevokedReason);
        Assert.NotNull((await grants.FindAsync(codex.Id, CancellationToken.None))!.RevokedAt);
        Assert.Null((await grants.FindAsync(automation.Id, CancellationToken.None))!.RevokedAt);
        Assert.Null((await grants.FindAsync(theirs.Id, CancellationToken.None))!.RevokedAt);
        Assert.Empty(await grants.ListActiveSignInsForUserAsync(user.Id, 5000, CancellationToken.None));
    }

    [Fact]
    public async Task ListActiveSignIns_CarriesLastRefreshAndTheAddressFromTheAuditLog()
    {
        var user = await NewUserAsync();
        var first = await NewGrantAsync(user.Id, "latchkey-cli", createdAt: 1000);
        var second = await NewGrantAsync(user.Id, "latchkey-cli", createdAt: 2000);
        var audit = new AuditRepository(Db);
        await audit.AppendAsync(new AuditEventRow { OccurredAt = 1000, EventType = AuditEventTypes.GrantCreated, UserId = user.Id, IpAddress = "203.0.113.5", Detail = $"{{\"grant_id\":\"{first.Id}\"}}" }, CancellationToken.None);
        await audit.AppendAsync(new AuditEventRow { OccurredAt = 2000, EventType = AuditEventTypes.GrantCreated, UserId = user.Id, IpAddress = "203.0.113.9", Detail = $"{{\"grant_id\":\"{second.Id}\"}}" }, CancellationToken.None);

        var listed = await new GrantRepository(Db).ListActiveSignInsForUserAsync(user.Id, 3000, CancellationToken.None);

        Assert.Equal([second.Id, first.Id], listed.Select(g => g.Id));
        Assert.Equal("203.0.113.9", listed[0].IpAddress);
        Assert.Equal("203.0.113.5", listed[1].IpAddress);
        Assert.Equal(1000, listed[1].LastUsedAt);
    }
}

public sealed class SqliteWebSessionRepositoryContractTests() : WebSessionRepositoryContractTests(DatabaseEngine.Sqlite);

public sealed class PostgresWebSessionRepositoryContractTests() : WebSessionRepositoryContractTests(DatabaseEngine.Postgres);
