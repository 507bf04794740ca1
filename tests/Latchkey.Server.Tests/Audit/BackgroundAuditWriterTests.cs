using System.Data.Common;
using Dapper;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Server.Tests.Audit;

/// <summary>
/// Usage events written off the request path must all reach the database: none dropped under load (a full queue
/// makes the producer wait), all written out when the host stops, and there for whoever opens the database next.
/// </summary>
public abstract class BackgroundAuditWriterTests(DatabaseEngine engine) : IAsyncLifetime
{
    private TestDatabase database = null!;
    private IDbConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        database = await TestDatabase.CreateAsync(engine);
        db = database.CreateFactory();
        await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeFactoryAsync(db);
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Events_QueuedUnderLoadThroughASmallQueue_AllWrittenByStop_AndReadAfterRestart()
    {
        using var writer = new BackgroundAuditWriter(new AuditRepository(db), NullLogger<BackgroundAuditWriter>.Instance, capacity: 16);
        await writer.StartAsync(CancellationToken.None);

        // 32 producers × 40 events through a queue of 16: most enqueues wait for room rather than being dropped.
        await Task.WhenAll(Enumerable.Range(0, 32).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                await writer.EnqueueAsync(Event($"{p}-{i}"), CancellationToken.None);
            }
        })));
        await writer.StopAsync(CancellationToken.None);

        // A restart: a new connection factory (new pool, new file handles) on the same database.
        await DisposeFactoryAsync(db);
        SqliteConnection.ClearAllPools();
        db = database.CreateFactory();
        await using var c = await db.OpenAsync(CancellationToken.None);
        var details = (await c.QueryAsync<string>("SELECT detail FROM audit_events WHERE event_type = 'test.used'")).ToHashSet();
        Assert.Equal(32 * 40, details.Count);
        Assert.Contains("31-39", details);
    }

    [Fact]
    public async Task Enqueue_QueueFull_WaitsForRoomInsteadOfDropping()
    {
        using var writer = new BackgroundAuditWriter(new AuditRepository(db), NullLogger<BackgroundAuditWriter>.Instance, capacity: 1);
        await writer.EnqueueAsync(Event("first"), CancellationToken.None); // not started: nothing drains yet

        var second = writer.EnqueueAsync(Event("second"), CancellationToken.None).AsTask();

        Assert.False(second.IsCompleted); // back-pressure: the producer waits
        await writer.StartAsync(CancellationToken.None);
        await second;
        await writer.FlushAsync(CancellationToken.None);
        Assert.Equal(["first", "second"], await DetailsAsync());
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stop_WritesOutEverythingStillQueued()
    {
        using var writer = new BackgroundAuditWriter(new AuditRepository(db), NullLogger<BackgroundAuditWriter>.Instance);
        for (var i = 0; i < 5; i++)
        {
            await writer.EnqueueAsync(Event($"queued{i}"), CancellationToken.None); // not started: all still queued
        }

        await writer.StopAsync(CancellationToken.None);

        Assert.Equal(5, (await DetailsAsync()).Count);
    }

    [Fact]
    public async Task Flush_WhileRunning_ReturnsOnceEarlierEventsAreCommitted()
    {
        using var writer = new BackgroundAuditWriter(new AuditRepository(db), NullLogger<BackgroundAuditWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await writer.EnqueueAsync(Event($"e{i}"), CancellationToken.None);
        }

        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(10, (await DetailsAsync()).Count);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Enqueue_AfterStop_IsWrittenDirectly()
    {
        using var writer = new BackgroundAuditWriter(new AuditRepository(db), NullLogger<BackgroundAuditWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        await writer.EnqueueAsync(Event("late"), CancellationToken.None); // a request still in flight during shutdown

        Assert.Equal(["late"], await DetailsAsync());
    }

    [Fact]
    public async Task Batch_DatabaseFailsTwice_IsRetriedAndWritten()
    {
        var flaky = new FailingFactory(db, failures: 2);
        using var writer = new BackgroundAuditWriter(new AuditRepository(flaky), NullLogger<BackgroundAuditWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);

        await writer.EnqueueAsync(Event("kept"), CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        Assert.Equal(0, flaky.FailuresLeft);
        Assert.Equal(["kept"], await DetailsAsync());
    }

    private static AuditEventRow Event(string detail) => new() { OccurredAt = 1, EventType = "test.used", Detail = detail };

    private static async Task DisposeFactoryAsync(IDbConnectionFactory factory)
    {
        if (factory is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }

    private async Task<List<string>> DetailsAsync()
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        return (await c.QueryAsync<string>("SELECT detail FROM audit_events WHERE event_type = 'test.used' ORDER BY id")).AsList();
    }

    /// <summary>The database refusing the first connections, as during a restart of PostgreSQL.</summary>
    private sealed class FailingFactory(IDbConnectionFactory inner, int failures) : IDbConnectionFactory
    {
        private int left = failures;

        public DatabaseEngine Engine => inner.Engine;

        public int FailuresLeft => Math.Max(0, Volatile.Read(ref left));

        public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
            => Interlocked.Decrement(ref left) >= 0 ? throw new SqliteException("database unavailable", 10) : inner.OpenAsync(cancellationToken);

        public DbConnection OpenOutsidePool() => inner.OpenOutsidePool();
    }
}

public sealed class SqliteBackgroundAuditWriterTests() : BackgroundAuditWriterTests(DatabaseEngine.Sqlite);

public sealed class PostgresBackgroundAuditWriterTests() : BackgroundAuditWriterTests(DatabaseEngine.Postgres);
