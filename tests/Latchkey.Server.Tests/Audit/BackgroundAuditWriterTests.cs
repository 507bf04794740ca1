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

    [Fact]
    public async Task Batch_WritesEveryRowWithItsValues_InTheBatchOrder()
    {
        var rows = Enumerable.Range(0, 300).Select(i => new AuditEventRow
        {
            OccurredAt = 1_000 + (i % 7),
            EventType = i % 2 == 0 ? "test.used" : "test.other",
            UserId = i % 3 == 0 ? null : $"user-{i}",
            WorkspaceId = i % 5 == 0 ? null : $"ws-{i}",
            ClientId = i % 4 == 0 ? null : "client",
            IpAddress = i % 6 == 0 ? null : "127.0.0.1",
            Detail = i % 9 == 0 ? null : $"{{\"n\":{i}}}",
        }).ToList();

        await new AuditRepository(db).AppendBatchAsync(rows, CancellationToken.None);

        await using var c = await db.OpenAsync(CancellationToken.None);
        var stored = (await c.QueryAsync<AuditEventRow>(
            "SELECT id, occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail FROM audit_events ORDER BY id")).ToList();
        Assert.Equal(rows, stored.Select(r => r with { Id = 0 }));
    }

    [Fact]
    public async Task Batch_OnPostgres_IsOneRoundTripWithItsCommit()
    {
        Assert.SkipUnless(engine == DatabaseEngine.Postgres, "Round trips are PostgreSQL's cost.");
        await using var counter = PostgresRoundTripCounter.Start(database.ConnectionString);
        await using var proxied = new PostgresConnectionFactory(counter.ConnectionString);
        var repository = new AuditRepository(proxied);
        await repository.AppendBatchAsync([Event("warm")], CancellationToken.None); // the connection's start-up is not the batch's
        counter.Reset();

        await repository.AppendBatchAsync([.. Enumerable.Range(0, 512).Select(i => Event($"row-{i}"))], CancellationToken.None);

        // Run per row, a batch of 512 was 512 round trips and then the commit.
        Assert.Equal(1, counter.RoundTrips);
        await using var c = await db.OpenAsync(CancellationToken.None);
        Assert.Equal(513, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events"));
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
