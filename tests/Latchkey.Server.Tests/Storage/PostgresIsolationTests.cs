using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// An operator may set PostgreSQL's <c>default_transaction_isolation</c> to SERIALIZABLE (some do, as a blanket rule).
/// The single-use rules (RFC 9700 §4.14.2: a refresh token rotated once; RFC 6749 §4.1.2: a code exchanged once) depend
/// on a concurrent UPDATE waiting for the first, re-checking its WHERE and matching nothing, which is READ COMMITTED's
/// behaviour; under SERIALIZABLE the loser fails with a serialization error and an honest client's retry would get a
/// 500 (ASVS V11.1.6, race conditions in sensitive operations). Npgsql begins every transaction whose level is not
/// given with an explicit <c>BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED</c> (it never sends a bare BEGIN), so the
/// database default does not reach the server's transactions; these tests pin that, should the driver or the way
/// transactions begin ever change.
/// </summary>
public sealed class PostgresIsolationTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private IDbConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await using (var c = new NpgsqlConnection(database.ConnectionString))
        {
            await c.OpenAsync();
            var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
            await c.ExecuteAsync($"ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'");
        }

        db = database.CreateFactory(); // its sessions start after the ALTER, so they carry the operator's default
        await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Transactions_are_read_committed_whatever_the_database_default()
    {
        await using (var plain = await db.OpenAsync(CancellationToken.None))
        {
            Assert.Equal("serializable", await plain.ExecuteScalarAsync<string>("SHOW transaction_isolation")); // the operator's default is in force
        }

        await using var tx = await WriteTransaction.BeginAsync(db, CancellationToken.None);
        Assert.Equal("read committed", await tx.QuerySingleOrDefaultAsync<string>("SHOW transaction_isolation"));
    }

    [Fact]
    public async Task A_refresh_that_waited_for_a_concurrent_rotation_finds_the_token_consumed_rather_than_failing_Rfc9700_Section4_14_2()
    {
        var email = $"u-{Guid.NewGuid():N}@example.com";
        var user = new UserRow { Id = "user_iso", Email = email, NormalizedEmail = email, PasswordHash = "h", CreatedAt = 1 };
        var ws = new WorkspaceRow { Id = "ws_iso", Name = "w", PlanType = "team", PersonalOwnerId = user.Id, CreatedAt = 1 };
        Assert.True(await new UserRepository(db).TryCreateAsync(user, ws, CancellationToken.None));
        var grants = new GrantRepository(db);
        await grants.CreateAsync(new GrantRow { Id = "grant_iso", UserId = user.Id, WorkspaceId = ws.Id, ClientId = "c", Scope = "openid", AuthTime = 1, CreatedAt = 1 }, "p0", 10_000_000, CancellationToken.None);

        await using var first = await grants.BeginRefreshAsync("p0", new RefreshSuccessor("p1", "sealed", 10_000), "c", null, 100, CancellationToken.None);
        Assert.True(first.Rotated);

        // The second rotation's UPDATE waits on the first's row lock; commit the first only once it is waiting.
        var second = Task.Run(async () =>
        {
            await using var tx = await grants.BeginRefreshAsync("p0", new RefreshSuccessor("p2", "sealed", 10_000), "c", null, 100, CancellationToken.None);
            return (tx.Rotated, tx.Context?.ConsumedAt);
        });
        await WaitForALockWaitAsync();
        await first.CommitAsync();

        var (rotated, consumedAt) = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(rotated);
        Assert.Equal(100, consumedAt); // seen as used: the retry rule or reuse detection decides, not a 500
    }

    private async Task WaitForALockWaitAsync()
    {
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await c.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second rotation never waited on the first");
            await Task.Delay(20);
        }
    }
}
