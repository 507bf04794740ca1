using Dapper;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Server.Tests.Storage;

/// <summary>What every storage engine must do. Each engine runs this whole class against a fresh real database.</summary>
public abstract class RepositoryContractTests(DatabaseEngine engine) : IAsyncLifetime
{
    private TestDatabase database = null!;

    protected IDbConnectionFactory Db { get; private set; } = null!;

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

    private async Task<(UserRow User, WorkspaceRow Workspace)> NewUserAsync(string? email = null)
    {
        email ??= $"u-{Guid.NewGuid():N}@example.com";
        var user = new UserRow { Id = "user_" + Guid.NewGuid().ToString("N"), Email = email, NormalizedEmail = email.ToLowerInvariant(), PasswordHash = "h", CreatedAt = 1 };
        var ws = new WorkspaceRow { Id = "ws_" + Guid.NewGuid().ToString("N"), Name = "w", PlanType = "team", PersonalOwnerId = user.Id, CreatedAt = 1 };
        Assert.True(await new UserRepository(Db).TryCreateAsync(user, ws, CancellationToken.None));
        return (user, ws);
    }

    private async Task<GrantRow> NewGrantAsync(string refreshHash, long expiresAt = 10_000_000)
    {
        var (user, ws) = await NewUserAsync();
        var grant = new GrantRow { Id = "grant_" + Guid.NewGuid().ToString("N"), UserId = user.Id, WorkspaceId = ws.Id, ClientId = "c", Scope = "openid", AuthTime = 1, CreatedAt = 1 };
        await new GrantRepository(Db).CreateAsync(grant, refreshHash, expiresAt, CancellationToken.None);
        return grant;
    }

    private async Task<bool> ConsumeDeviceCodeAsync(DeviceCodeRepository devices, string deviceCodeHash)
    {
        await using var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None);
        var consumed = await devices.TryConsumeAsync(tx, deviceCodeHash, "grant");
        await tx.CommitAsync();
        return consumed;
    }

    [Fact]
    public async Task Migrate_RunTwice_IsIdempotent()
    {
        var again = await new SchemaMigrator(Db, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        Assert.Empty(again);
    }

    [Fact]
    public async Task CreateUser_DuplicateEmail_IsRefusedAndLeavesNoWorkspace()
    {
        var (first, _) = await NewUserAsync("same@example.com");
        var dup = new UserRow { Id = "user_dup", Email = "same@example.com", NormalizedEmail = "same@example.com", PasswordHash = "h", CreatedAt = 1 };
        var ws = new WorkspaceRow { Id = "ws_dup", Name = "w", PlanType = "team", PersonalOwnerId = "user_dup", CreatedAt = 1 };

        Assert.False(await new UserRepository(Db).TryCreateAsync(dup, ws, CancellationToken.None));
        Assert.Empty(await new WorkspaceRepository(Db).ListForUserAsync("user_dup", CancellationToken.None));
        Assert.NotNull(await new UserRepository(Db).FindByIdAsync(first.Id, CancellationToken.None));
    }

    [Fact]
    public async Task TotpStep_UsedOnce_Rfc6238Section5_2()
    {
        var (user, _) = await NewUserAsync();
        var users = new UserRepository(Db);

        Assert.True(await users.TryUseTotpStepAsync(user.Id, 100, CancellationToken.None));
        Assert.False(await users.TryUseTotpStepAsync(user.Id, 100, CancellationToken.None));
        Assert.False(await users.TryUseTotpStepAsync(user.Id, 99, CancellationToken.None));
        Assert.True(await users.TryUseTotpStepAsync(user.Id, 101, CancellationToken.None));
    }

    [Fact]
    public async Task RecoveryCode_IsSingleUse()
    {
        var (user, _) = await NewUserAsync();
        var security = new AccountSecurityRepository(Db);
        await security.ReplaceRecoveryCodesAsync(user.Id, ["h1", "h2"], CancellationToken.None);

        Assert.True(await security.TryUseRecoveryCodeAsync(user.Id, "h1", 5, CancellationToken.None));
        Assert.False(await security.TryUseRecoveryCodeAsync(user.Id, "h1", 6, CancellationToken.None));
        Assert.False(await security.TryUseRecoveryCodeAsync(user.Id, "nope", 6, CancellationToken.None));
        Assert.Equal(1, await security.CountUnusedRecoveryCodesAsync(user.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Throttle_LocksAfterMaxFailuresWithinWindow()
    {
        var security = new AccountSecurityRepository(Db);
        for (var i = 0; i < 4; i++)
        {
            await security.RecordFailureAsync("k", 1000 + i, 60_000, 5, 30_000, CancellationToken.None);
        }

        Assert.Null(await security.GetLockedUntilAsync("k", CancellationToken.None));
        await security.RecordFailureAsync("k", 1010, 60_000, 5, 30_000, CancellationToken.None);
        Assert.Equal(31_010, await security.GetLockedUntilAsync("k", CancellationToken.None));
    }

    [Fact]
    public async Task SetupToken_ConsumedExactlyOnce_EvenConcurrently()
    {
        var security = new AccountSecurityRepository(Db);
        await security.CreateSetupTokenAsync("t", 0, 1000, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => security.TryConsumeSetupTokenAsync("t", 10, CancellationToken.None)));

        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task SetupToken_Expired_CannotBeConsumed()
    {
        var security = new AccountSecurityRepository(Db);
        await security.CreateSetupTokenAsync("t2", 0, 1000, CancellationToken.None);

        Assert.False(await security.TryConsumeSetupTokenAsync("t2", 1000, CancellationToken.None));
    }

    [Fact]
    public async Task AuthorizationCode_ConsumedExactlyOnce_EvenConcurrently_WithTheWinnersGrant_Rfc6749Section4_1_2()
    {
        var codes = new AuthorizationCodeRepository(Db);
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "c1", ClientId = "c", UserId = "u", WorkspaceId = "w", RedirectUri = "r", CodeChallenge = "x", Scope = "openid", ExpiresAt = 100 }, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None);
            var won = await codes.TryConsumeAsync(tx, "c1", $"grant_{i}", 5);
            await tx.CommitAsync();
            return won ? $"grant_{i}" : null;
        }));

        var winner = Assert.Single(results, r => r is not null);
        var row = (await codes.FindAsync("c1", CancellationToken.None))!;
        Assert.Equal(5, row.ConsumedAt);
        Assert.Equal(winner, row.GrantId); // §10.5: a later replay finds the grant to revoke
    }

    [Fact]
    public async Task AuthorizationCode_ConsumedForExchange_OnceEvenConcurrently_LosersReadTheWinnersGrant_Rfc6749Section10_5()
    {
        var (user, ws) = await NewUserAsync();
        var codes = new AuthorizationCodeRepository(Db);
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "cx", ClientId = "c", UserId = user.Id, WorkspaceId = ws.Id, RedirectUri = "r", CodeChallenge = "x", Scope = "openid", ExpiresAt = 100 }, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None);
            var (consumed, row) = await codes.ConsumeForExchangeAsync(tx, "cx", $"grant_{i}", 5);
            await tx.CommitAsync();
            return (Consumed: consumed, Seen: row!.GrantId, Mine: $"grant_{i}");
        }));

        var winner = Assert.Single(results, r => r.Consumed);
        Assert.Equal(winner.Mine, winner.Seen);
        Assert.All(results.Where(r => !r.Consumed), r => Assert.Equal(winner.Mine, r.Seen)); // the grant a replay revokes
        Assert.Equal(winner.Mine, (await codes.FindAsync("cx", CancellationToken.None))!.GrantId);
    }

    [Fact]
    public async Task AuthorizationCode_ConsumedForExchangeThenRolledBack_StaysUnused_AndUnknownCodeReadsNothing()
    {
        var (user, ws) = await NewUserAsync();
        var codes = new AuthorizationCodeRepository(Db);
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "cr", ClientId = "c", UserId = user.Id, WorkspaceId = ws.Id, RedirectUri = "r", CodeChallenge = "x", Scope = "openid", ExpiresAt = 100 }, CancellationToken.None);

        await using (var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None))
        {
            var (consumed, row) = await codes.ConsumeForExchangeAsync(tx, "cr", "grant_refused", 5);
            Assert.True(consumed);
            Assert.Equal(user.Email, row!.Email); // the standing, read in the same command
            // not committed: a refused exchange
        }

        Assert.Null((await codes.FindAsync("cr", CancellationToken.None))!.ConsumedAt);
        await using var unknown = await WriteTransaction.BeginAsync(Db, CancellationToken.None);
        Assert.Equal((false, null), await codes.ConsumeForExchangeAsync(unknown, "no-such-code", "grant_x", 5));
    }

    [Fact]
    public async Task AuthorizationCode_ExchangeRolledBack_LeavesCodeUnusedAndNoGrant()
    {
        var (user, ws) = await NewUserAsync();
        var codes = new AuthorizationCodeRepository(Db);
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "c2", ClientId = "c", UserId = user.Id, WorkspaceId = ws.Id, RedirectUri = "r", CodeChallenge = "x", Scope = "openid", ExpiresAt = 100 }, CancellationToken.None);
        var grant = new GrantRow { Id = "grant_rolled_back", UserId = user.Id, WorkspaceId = ws.Id, ClientId = "c", Scope = "openid", AuthTime = 1, CreatedAt = 1 };

        await using (var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None))
        {
            Assert.True(await codes.TryConsumeAsync(tx, "c2", grant.Id, 5));
            await new GrantRepository(Db).CreateAsync(tx, grant, "rt-rolled-back", 1000);
        }

        Assert.Null((await codes.FindAsync("c2", CancellationToken.None))!.ConsumedAt);
        Assert.Null(await new GrantRepository(Db).FindAsync(grant.Id, CancellationToken.None));
        Assert.Null(await new GrantRepository(Db).FindRefreshTokenAsync("rt-rolled-back", CancellationToken.None));
    }

    [Fact]
    public async Task Grant_CreatedWithItsEvent_BothCommitOrNeither_AsvsV7_2_1()
    {
        var (user, ws) = await NewUserAsync();
        var grants = new GrantRepository(Db);
        var audit = new AuditRepository(Db);
        GrantRow Grant(string id) => new() { Id = id, UserId = user.Id, WorkspaceId = ws.Id, ClientId = "c", Scope = "openid", AuthTime = 1, CreatedAt = 1 };
        AuditEventRow Created(string id) => new() { OccurredAt = 7, EventType = AuditEventTypes.GrantCreated, UserId = user.Id, WorkspaceId = ws.Id, ClientId = "c", IpAddress = "203.0.113.7", Detail = $"{{\"grant_id\":\"{id}\"}}" };

        await using (var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None))
        {
            await grants.CreateAsync(tx, Grant("grant_kept"), "rt-kept", 1000, Created("grant_kept"));
            await tx.CommitAsync();
        }

        await using (var tx = await WriteTransaction.BeginAsync(Db, CancellationToken.None))
        {
            await grants.CreateAsync(tx, Grant("grant_undone"), "rt-undone", 1000, Created("grant_undone"));
        }

        Assert.NotNull(await grants.FindAsync("grant_kept", CancellationToken.None));
        Assert.NotNull(await grants.FindRefreshTokenAsync("rt-kept", CancellationToken.None));
        Assert.Null(await grants.FindAsync("grant_undone", CancellationToken.None));
        var events = await audit.QueryAsync(AuditEventTypes.GrantCreated, user.Id, 10, CancellationToken.None);
        var recorded = Assert.Single(events); // the rolled-back grant left no event either
        Assert.Equal(("203.0.113.7", "{\"grant_id\":\"grant_kept\"}", ws.Id, "c", 7L), (recorded.IpAddress, recorded.Detail, recorded.WorkspaceId, recorded.ClientId, recorded.OccurredAt));
    }

    [Fact]
    public async Task Refresh_Begin_CurrentToken_ConsumedAndContextRead_CommitStoresSuccessor()
    {
        var grant = await NewGrantAsync("r0");
        var grants = new GrantRepository(Db);

        await using (var tx = await grants.BeginRefreshAsync("r0", Successor("r1"), "c", "127.0.0.1", 100, CancellationToken.None))
        {
            Assert.True(tx.Rotated);
            Assert.Equal(grant.Id, tx.Context!.GrantId);
            Assert.NotNull(tx.Context.Workspace); // the membership, read in the same query
            Assert.Equal("owner", tx.Context.Role);
            await tx.CommitAsync();
        }

        Assert.Equal(100, (await grants.FindRefreshTokenAsync("r0", CancellationToken.None))!.ConsumedAt);
        Assert.Equal("r1", (await grants.FindRefreshTokenAsync("r0", CancellationToken.None))!.ReplacedByHash);
        Assert.Null((await grants.FindRefreshTokenAsync("r1", CancellationToken.None))!.ConsumedAt);
        Assert.Equal(10_000, (await grants.FindRefreshTokenAsync("r1", CancellationToken.None))!.ExpiresAt); // stored by the rotation itself
    }

    private static RefreshSuccessor Successor(string hash) => new(hash, "sealed", 10_000);

    [Fact]
    public async Task Refresh_Begin_NotCommitted_LeavesTokenCurrent()
    {
        await NewGrantAsync("n0");
        var grants = new GrantRepository(Db);

        await using (var tx = await grants.BeginRefreshAsync("n0", Successor("n1"), "c", null, 100, CancellationToken.None))
        {
            Assert.True(tx.Rotated);
        }

        Assert.Null((await grants.FindRefreshTokenAsync("n0", CancellationToken.None))!.ConsumedAt);
    }

    [Fact]
    public async Task Refresh_Begin_OtherClientOrExpired_NotConsumed()
    {
        await NewGrantAsync("e0", expiresAt: 1000);
        var grants = new GrantRepository(Db);

        await using (var other = await grants.BeginRefreshAsync("e0", Successor("e1"), "other-client", null, 100, CancellationToken.None))
        {
            Assert.False(other.Rotated);
            Assert.Null(other.Context!.ConsumedAt);
        }

        await using var expired = await grants.BeginRefreshAsync("e0", Successor("e1"), "c", null, 1000, CancellationToken.None);
        Assert.False(expired.Rotated);
        Assert.Null(expired.Context!.ConsumedAt);
        await expired.CommitAsync();
        Assert.Null(await grants.FindRefreshTokenAsync("e1", CancellationToken.None)); // no rotation, no successor
    }

    [Fact]
    public async Task Refresh_Begin_ConcurrentUseOfOneToken_ExactlyOneConsumes()
    {
        await NewGrantAsync("p0");
        var grants = new GrantRepository(Db);

        var rotated = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var tx = await grants.BeginRefreshAsync("p0", Successor("p-new-" + i), "c", null, 100, CancellationToken.None);
            if (tx.Rotated)
            {
                await tx.CommitAsync();
            }

            return tx.Rotated;
        }));

        Assert.Single(rotated, r => r);
        var stored = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => grants.FindRefreshTokenAsync("p-new-" + i, CancellationToken.None)));
        Assert.Single(stored, t => t is not null); // only the rotation that won stored its successor
    }

    [Fact]
    public async Task DeviceCode_DecidedOnceAndConsumedOnce_Rfc8628()
    {
        var devices = new DeviceCodeRepository(Db);
        Assert.True(await devices.TryCreateAsync(new DeviceCodeRow { DeviceCodeHash = "d", UserCodeHash = "u", ClientId = "c", Scope = "openid", ExpiresAt = 1000, IntervalSeconds = 5, Status = DeviceCodeRow.Pending }, CancellationToken.None));
        Assert.False(await devices.TryCreateAsync(new DeviceCodeRow { DeviceCodeHash = "d2", UserCodeHash = "u", ClientId = "c", Scope = "openid", ExpiresAt = 1000, IntervalSeconds = 5, Status = DeviceCodeRow.Pending }, CancellationToken.None));

        Assert.True(await devices.TryDecideAsync("u", DeviceCodeRow.Approved, "user", "ws", 1, "pwd otp mfa", 10, CancellationToken.None));
        Assert.False(await devices.TryDecideAsync("u", DeviceCodeRow.Denied, "user", null, 1, null, 11, CancellationToken.None));
        Assert.True(await ConsumeDeviceCodeAsync(devices, "d"));
        Assert.False(await ConsumeDeviceCodeAsync(devices, "d"));
    }

    [Fact]
    public async Task DeviceCode_Expired_CannotBeApproved()
    {
        var devices = new DeviceCodeRepository(Db);
        await devices.TryCreateAsync(new DeviceCodeRow { DeviceCodeHash = "x", UserCodeHash = "xu", ClientId = "c", Scope = "openid", ExpiresAt = 1000, IntervalSeconds = 5, Status = DeviceCodeRow.Pending }, CancellationToken.None);

        Assert.False(await devices.TryDecideAsync("xu", DeviceCodeRow.Approved, "user", "ws", 1, null, 1000, CancellationToken.None));
    }

    [Fact]
    public async Task SigningKeys_FirstKeyCreatedOnce_RotationRetiresPreviousWhenTheNewOneActivates()
    {
        var keys = new KeyRepository(Db);
        var row = new SigningKeyRow { Kid = "k1", PublicKey = "p", PrivateKeyProtected = "s", CreatedAt = 1 };

        Assert.True(await keys.TryAddFirstSigningKeyAsync(row, CancellationToken.None));
        Assert.False(await keys.TryAddFirstSigningKeyAsync(row with { Kid = "k2" }, CancellationToken.None));
        await keys.AddSigningKeyAsync(row with { Kid = "k3", CreatedAt = 2, ActivateAt = 5 }, CancellationToken.None);
        await keys.AddSigningKeyAsync(row with { Kid = "k4", CreatedAt = 3, ActivateAt = 9 }, CancellationToken.None);

        var all = await keys.ListSigningKeysAsync(CancellationToken.None);
        Assert.Equal(["k4", "k3", "k1"], all.Select(k => k.Kid));
        Assert.Equal([null, 9L, 5L], all.Select(k => k.RetiredAt));
        Assert.Equal([9L, 5L, null], all.Select(k => k.ActivateAt));
    }

    [Fact]
    public async Task Cleanup_RemovesExpiredButKeepsRecentCodesForReplayDetection()
    {
        var codes = new AuthorizationCodeRepository(Db);
        const long day = 24L * 3600 * 1000;
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "old", ClientId = "c", UserId = "u", WorkspaceId = "w", RedirectUri = "r", CodeChallenge = "x", Scope = "s", ExpiresAt = 1000 }, CancellationToken.None);
        await codes.CreateAsync(new AuthorizationCodeRow { CodeHash = "recent", ClientId = "c", UserId = "u", WorkspaceId = "w", RedirectUri = "r", CodeChallenge = "x", Scope = "s", ExpiresAt = day + 5000 }, CancellationToken.None);
        await new AccountSecurityRepository(Db).CreateSetupTokenAsync("expired-setup", 0, 10, CancellationToken.None);

        await new MaintenanceRepository(Db).DeleteExpiredAsync(day + 2000, CancellationToken.None);

        Assert.Null(await codes.FindAsync("old", CancellationToken.None));
        Assert.NotNull(await codes.FindAsync("recent", CancellationToken.None));
    }

    [Fact]
    public async Task Audit_AppendAndQueryByType()
    {
        var audit = new AuditRepository(Db);
        await audit.AppendAsync(new AuditEventRow { OccurredAt = 1, EventType = "a", UserId = "u1" }, CancellationToken.None);
        await audit.AppendAsync(new AuditEventRow { OccurredAt = 2, EventType = "b", UserId = "u1", Detail = "{\"x\":1}" }, CancellationToken.None);

        var b = await audit.QueryAsync("b", null, 10, CancellationToken.None);

        Assert.Single(b);
        Assert.Equal("{\"x\":1}", b[0].Detail);
        Assert.Equal(2, (await audit.QueryAsync(null, "u1", 10, CancellationToken.None)).Count);
    }
}

public sealed class SqliteRepositoryContractTests() : RepositoryContractTests(DatabaseEngine.Sqlite);

public sealed class PostgresRepositoryContractTests() : RepositoryContractTests(DatabaseEngine.Postgres);
