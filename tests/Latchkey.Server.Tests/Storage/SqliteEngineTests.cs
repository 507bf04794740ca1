using System.Diagnostics;
using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// The embedded engine as the server opens it: a current SQLite (not the 3.35.5 of the old bundle, built without
/// usleep so every busy wait lasted whole seconds), WAL, a millisecond busy timeout, full fsync on commit.
/// </summary>
public sealed class SqliteEngineTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private IDbConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        db = database.CreateFactory();
        await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task LoadedSqlite_IsAtLeast3_45()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        var version = Version.Parse(await c.ExecuteScalarAsync<string>("select sqlite_version()") ?? "0.0");

        Assert.True(version >= new Version(3, 45), $"loaded SQLite is {version}");
    }

    [Fact]
    public async Task Connection_HasWalBusyTimeoutForeignKeysFullSyncAndMemoryTempStore()
    {
        // The pragmas are set once per pooled native connection: every open — the first, a reuse of a pooled one, and
        // one opened while others are out — must still see them.
        for (var round = 0; round < 3; round++)
        {
            await using var c = await db.OpenAsync(CancellationToken.None);
            await using var other = await db.OpenAsync(CancellationToken.None);
            foreach (var connection in new[] { c, other })
            {
                Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
                Assert.Equal(SqliteConnectionFactory.BusyTimeoutMilliseconds, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
                Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
                // 2 = FULL (see SqliteConnectionFactory); also the bundled SQLite's default, so this confirms, the busy
                // timeout (default 0) is what shows a pragma missing.
                Assert.Equal(2, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
                // 2 = MEMORY: a batch's savepoint sub-journals never spill to a temporary file (SqliteConnectionFactory).
                Assert.Equal(2, await connection.ExecuteScalarAsync<long>("PRAGMA temp_store"));
            }
        }
    }

    [Fact]
    public async Task ForeignKeys_StayOn_OnEveryPooledOpen_EvenIfTheConnectionStringTurnsThemOff()
    {
        // The bundled SQLite starts with foreign keys on, so only a string that turns them off shows whether the
        // factory's own setting holds on a pooled connection's second and later opens.
        var dir = Directory.CreateTempSubdirectory("latchkey-fk-").FullName;
        try
        {
            await using var factory = new SqliteConnectionFactory($"Data Source={Path.Combine(dir, "fk.db")};Foreign Keys=False");
            for (var round = 0; round < 3; round++)
            {
                await using var c = await factory.OpenAsync(CancellationToken.None);
                Assert.Equal(1, await c.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task SecondWriter_WaitsForTheLock_InMillisecondsNotWholeSeconds()
    {
        await using var holder = await db.OpenAsync(CancellationToken.None);
        await holder.ExecuteAsync("CREATE TABLE t (x INTEGER)");
        await using var tx = await holder.BeginTransactionAsync(CancellationToken.None); // BEGIN IMMEDIATE: write lock
        await holder.ExecuteAsync("INSERT INTO t VALUES (1)", transaction: tx);

        await using var waiter = await db.OpenAsync(CancellationToken.None);
        var released = new Stopwatch();
        var write = Task.Run(async () =>
        {
            await waiter.ExecuteAsync("INSERT INTO t VALUES (2)");
            return released.Elapsed;
        });
        await Task.Delay(150);
        Assert.False(write.IsCompleted, "the second writer should be waiting for the lock");
        released.Start();
        await tx.CommitAsync(CancellationToken.None);

        var afterRelease = await write;
        Assert.Equal(2, await holder.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t"));
        // The 2021 bundle lacked usleep, so SQLite's busy handler slept in whole seconds.
        Assert.True(afterRelease < TimeSpan.FromMilliseconds(900), $"waited {afterRelease.TotalMilliseconds} ms after the lock was released");
    }
}
