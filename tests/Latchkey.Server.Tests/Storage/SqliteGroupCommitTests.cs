using System.Data.Common;
using Dapper;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Latchkey.Server.Tests.Storage;

/// <summary>
/// Group commit on SQLite (<see cref="SqliteWriteBatch"/>): write transactions queued at the write gate share one
/// COMMIT (one fsync under synchronous = FULL), yet each behaves as its own transaction. The durability rule they
/// rest on — nothing is answered before it is durable (ASVS 5.0 V15.4, "safe concurrency"; RFC 9700 §4.14.2 relies on a
/// consumed refresh token staying consumed) — is that a unit's commit returns only after the batch's COMMIT returned.
/// Each test drives the order by hand: a transaction begun while another holds the turn is queued at once.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    private TestDatabase database = null!;
    private SqliteConnectionFactory db = null!;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        db = (SqliteConnectionFactory)database.CreateFactory();
        await using var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync(
            """
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE parents (id INTEGER PRIMARY KEY);
            CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await db.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task UnitsQueuedOneAfterAnother_ShareOneCommit_AndNoneIsAnsweredBeforeIt()
    {
        // b waits as a commits: the batch stays open and goes on with the turn.
        var (a, aCommit, b, later) = await HandOnAsync(laterWaiters: 1);
        Assert.True(Writer(b.Connection).IsWriter); // the writer came with the turn
        Assert.Equal(1, await Count(b, 1)); // the units after it see its work, as if it had committed
        await Insert(b, 2);
        var bCommit = b.Transaction.CommitAsync();
        var c = await TakeTurnAsync(later[0]);

        // Not durable yet, so not answered, and not visible outside the batch.
        Assert.False(aCommit.IsCompleted);
        Assert.False(bCommit.IsCompleted);
        Assert.Equal(0, await CountOutside(1, 2));

        var commits = CountCommits(c.Connection);
        await Insert(c, 3);
        await c.Transaction.CommitAsync(); // nobody waits: the last unit commits the batch
        await Task.WhenAll(aCommit, bCommit).WaitAsync(Soon);
        Assert.Equal(1, commits());
        Assert.Equal(3, await CountOutside(1, 2, 3));
        await DisposeAll(a, b, c);
    }

    /// <summary>
    /// A unit that rolls back may have decided on what the units before it wrote (a code exchange that lost the race
    /// reads the code's grant next, to revoke it: RFC 6749 §10.5); it returns once the batch has committed, so that read,
    /// on another connection, sees it.
    /// </summary>
    [Fact]
    public async Task UnitRolledBack_ReturnsOnlyOnceTheBatchHasCommitted_SoItsNextReadSeesWhatItSaw()
    {
        var (a, aCommit, b, later) = await HandOnAsync(laterWaiters: 1);
        Assert.Equal(1, await Count(b, 1)); // b "loses the race" to a

        var bRollback = b.Transaction.RollbackAsync(); // c waits: the batch goes on with c
        var c = await TakeTurnAsync(later[0]);
        Assert.False(bRollback.IsCompleted);
        await c.Transaction.CommitAsync();
        await Task.WhenAll(aCommit, bRollback).WaitAsync(Soon);
        Assert.Equal(1, await CountOutside(1));
        await DisposeAll(a, b, c);
    }

    [Fact]
    public async Task UnitRolledBackInABatch_UndoesOnlyItsOwnWork()
    {
        var (a, aCommit, b, _) = await HandOnAsync();
        await Insert(b, 2);

        await b.Transaction.RollbackAsync().WaitAsync(Soon); // a refusal: its rotation undone, a's kept
        await aCommit.WaitAsync(Soon);
        Assert.Equal(1, await CountOutside(1));
        Assert.Equal(0, await CountOutside(2));
        await DisposeAll(a, b);
    }

    [Fact]
    public async Task UnitThrowingMidBatch_IsUndoneOnDisposal_AndTheOthersCommit()
    {
        var (a, aCommit, b, later) = await HandOnAsync(laterWaiters: 1);
        await Insert(b, 2);
        await Assert.ThrowsAsync<SqliteException>(() => Insert(b, 1)); // a constraint error: the statement fails, the caller gives up
        var bDisposal = b.Transaction.DisposeAsync().AsTask(); // returns once the batch has ended, after c

        var c = await TakeTurnAsync(later[0]);
        Assert.Equal(0, await Count(c, 2)); // b's first insert went with it
        await Insert(c, 3);
        await c.Transaction.CommitAsync();
        await Task.WhenAll(aCommit, bDisposal).WaitAsync(Soon);
        Assert.Equal(2, await CountOutside(1, 3));
        Assert.Equal(0, await CountOutside(2));
        await DisposeAll(a, b, c);
    }

    [Fact]
    public async Task FailedCommit_FailsEveryUnitInTheBatch_KeepsNoneOfIt_AndTheNextWriteWorks()
    {
        var (a, aCommit, b, _) = await HandOnAsync();
        // A deferred foreign key is checked at COMMIT, not at the unit's RELEASE: the batch's COMMIT fails.
        await b.Connection.ExecuteAsync("INSERT INTO children VALUES (1, 99)", transaction: b.Transaction);

        await Assert.ThrowsAsync<SqliteException>(() => b.Transaction.CommitAsync());
        await Assert.ThrowsAsync<SqliteException>(() => aCommit.WaitAsync(Soon)); // a was never durable: never answered as such
        Assert.Equal(0, await CountOutside(1));
        await DisposeAll(a, b);

        var next = await BeginAsync();
        await Insert(next, 5);
        await next.Transaction.CommitAsync();
        Assert.Equal(1, await CountOutside(5));
        await DisposeAll(next);
    }

    [Fact]
    public async Task BatchWhoseWriterDies_BeforeItsCommit_KeepsNothing_AndFailsItsUnits()
    {
        var (a, aCommit, b, _) = await HandOnAsync();
        await Insert(b, 2);

        // What a crash does to the open batch: the native connection goes without a COMMIT.
        Writer(b.Connection).Dispose();
        await Assert.ThrowsAsync<InvalidOperationException>(() => aCommit.WaitAsync(Soon));
        Assert.Equal(0, await CountOutside(1, 2));
        await DisposeAll(a, b);
    }

    [Fact]
    public async Task Batch_IsCommittedAfterMaxUnits_EvenWithOthersWaiting()
    {
        const int total = SqliteWriteBatch.MaxUnits + 9;
        var first = await BeginAsync();
        var commits = CountCommits(first.Connection);
        var queued = new List<(Task<DbTransaction> Begin, DbConnection Connection)>();
        for (var i = 1; i < total; i++)
        {
            queued.Add((BeginQueued(out var c), c));
        }

        var answered = new List<Task>();
        for (var i = 0; i < total; i++)
        {
            var unit = i == 0 ? first : new Unit(queued[i - 1].Connection, await queued[i - 1].Begin.WaitAsync(Soon));
            await Insert(unit, i + 1);
            answered.Add(unit.Transaction.CommitAsync());
            await DisposeAll(unit); // as a caller does once it has its answer; the turn goes on from here at the latest
            if (i == SqliteWriteBatch.MaxUnits - 1)
            {
                await answered[0].WaitAsync(Soon); // the first batch committed at its bound, with nine still waiting
                Assert.Equal(1, commits());
            }
            else if (i == SqliteWriteBatch.MaxUnits)
            {
                Assert.False(answered[^1].IsCompleted); // the next batch is open
            }
        }

        await Task.WhenAll(answered).WaitAsync(Soon);
        Assert.Equal(2, commits());
        Assert.Equal(total, await db.OpenAsync(CancellationToken.None).AsTask().ContinueWith(async t =>
        {
            await using var c = t.Result;
            return await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items");
        }).Unwrap());
    }

    [Fact]
    public async Task WaiterThatCannotJoin_CommitsTheBatchHandedToIt_ThenWritesOnItsOwnConnection()
    {
        var a = await BeginAsync();
        await Insert(a, 1);

        // b still holds a command leased from its connection, so its transaction cannot move onto the writer.
        var bConnection = await db.OpenAsync(CancellationToken.None);
        var command = bConnection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync();
        var bBegin = bConnection.BeginTransactionAsync().AsTask();
        Assert.False(bBegin.IsCompleted);

        var aCommit = a.Transaction.CommitAsync();
        var bTransaction = await bBegin.WaitAsync(Soon);
        await aCommit.WaitAsync(Soon); // committed by b before its own BEGIN: b never waits on the batch's write lock
        Assert.IsNotType<SqliteBatchUnit>(bTransaction);
        await command.DisposeAsync();
        await bConnection.ExecuteAsync("INSERT INTO items VALUES (2, 'x')", transaction: bTransaction);
        await bTransaction.CommitAsync().WaitAsync(Soon);
        Assert.Equal(2, await CountOutside(1, 2));
        await bTransaction.DisposeAsync();
        await bConnection.DisposeAsync();
        await DisposeAll(a);
    }

    [Fact]
    public async Task WaiterThatGivesUp_LeavesNoBatchWithoutItsCommit()
    {
        var a = await BeginAsync();
        using var cancel = new CancellationTokenSource();
        var bConnection = await db.OpenAsync(CancellationToken.None);
        var bBegin = bConnection.BeginTransactionAsync(cancel.Token).AsTask();
        Assert.False(bBegin.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bBegin.WaitAsync(Soon));

        await Insert(a, 1);
        await a.Transaction.CommitAsync().WaitAsync(Soon); // nobody waits any more: a commits at once
        Assert.Equal(1, await CountOutside(1));
        await bConnection.DisposeAsync();
        await DisposeAll(a);
    }

    [Fact]
    public async Task ConnectionDisposedWithItsUnitOpen_UndoesTheUnit_AndTheBatchStillCommits()
    {
        var (a, aCommit, b, _) = await HandOnAsync();
        await Insert(b, 2);

        await b.Connection.DisposeAsync(); // the transaction object is never disposed
        await aCommit.WaitAsync(Soon);
        Assert.Equal(1, await CountOutside(1));
        Assert.Equal(0, await CountOutside(2));
        await DisposeAll(a);
    }

    [Fact]
    public async Task ConnectionWhoseWriterWentOn_KeepsWorking_OnAnotherPooledConnection()
    {
        var (a, aCommit, b, _) = await HandOnAsync();
        Assert.NotSame(Writer(a.Connection), Writer(b.Connection)); // a let go of the writer when it handed it on
        await b.Transaction.CommitAsync();
        await aCommit.WaitAsync(Soon);

        Assert.Equal(1, await a.Connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE id = 1"));
        await DisposeAll(a, b);
    }

    [Fact]
    public async Task WriteOutsideATransaction_WaitsItsTurn_CommitsTheBatchHandedToIt_AndReadsNeverWait()
    {
        var a = await BeginAsync();
        await Insert(a, 1);

        await using var b = await db.OpenAsync(CancellationToken.None);
        // A read needs no turn (WAL: readers never wait for the writer) and sees only what is committed.
        Assert.Equal(0, await b.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items").WaitAsync(Soon));

        // A write queues for the turn instead of sleeping in SQLite's busy handler against the batch's lock.
        var bWrite = b.ExecuteAsync("INSERT INTO items VALUES (2, 'x')");
        Assert.False(bWrite.IsCompleted);
        await using var c = await db.OpenAsync(CancellationToken.None);
        var returning = c.QuerySingleAsync<int>("UPDATE items SET name = 'y' WHERE id = 1 RETURNING id"); // a writing reader too
        Assert.False(returning.IsCompleted);

        var aCommit = a.Transaction.CommitAsync(); // handed on to the write, which commits the batch, then writes
        await Task.WhenAll(aCommit, bWrite).WaitAsync(Soon);
        Assert.Equal(1, await returning.WaitAsync(Soon));
        Assert.Equal(2, await CountOutside(1, 2));
        await DisposeAll(a);
    }

    private sealed record Unit(DbConnection Connection, DbTransaction Transaction);

    private async Task<Unit> BeginAsync()
    {
        var c = await db.OpenAsync(CancellationToken.None);
        return new Unit(c, await c.BeginTransactionAsync());
    }

    private sealed record HandedOn(Unit A, Task ACommit, Unit B, List<(Task<DbTransaction> Begin, DbConnection Connection)> Later);

    // a begins and writes row 1; b (and laterWaiters more) queue; a commits, which hands the turn and the open batch to b.
    private async Task<HandedOn> HandOnAsync(int laterWaiters = 0)
    {
        var a = await BeginAsync();
        var bBegin = BeginQueued(out var bConnection);
        var later = new List<(Task<DbTransaction> Begin, DbConnection Connection)>();
        for (var i = 0; i < laterWaiters; i++)
        {
            later.Add((BeginQueued(out var c), c));
        }

        await Insert(a, 1);
        var aCommit = a.Transaction.CommitAsync();
        return new HandedOn(a, aCommit, new Unit(bConnection, await bBegin.WaitAsync(Soon)), later);
    }

    private static async Task<Unit> TakeTurnAsync((Task<DbTransaction> Begin, DbConnection Connection) queued)
        => new(queued.Connection, await queued.Begin.WaitAsync(Soon));

    // Begins a transaction while another holds the turn: queued before this returns.
    private Task<DbTransaction> BeginQueued(out DbConnection connection)
    {
        connection = db.OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var begin = connection.BeginTransactionAsync().AsTask();
        Assert.False(begin.IsCompleted);
        return begin;
    }

    private static Task<int> Insert(Unit unit, int id)
        => unit.Connection.ExecuteAsync("INSERT INTO items VALUES (@id, 'x')", new { id }, unit.Transaction);

    private static Task<int> Count(Unit unit, int id)
        => unit.Connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE id = @id", new { id }, unit.Transaction);

    // A connection of its own, outside the pool: what another process would see in the file.
    private async Task<int> CountOutside(params int[] ids)
    {
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db.DataSource, Pooling = false }.ToString());
        await c.OpenAsync();
        return await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM items WHERE id IN ({string.Join(',', ids)})");
    }

    private static PooledSqliteConnection Writer(DbConnection c) => ((MeteredDbConnection)c).Pooled!;

    // Counts the COMMITs SQLite makes on the writer from now on.
    private static Func<int> CountCommits(DbConnection c)
    {
        var commits = 0;
        raw.sqlite3_commit_hook(Writer(c).Connection.Handle, _ =>
        {
            Interlocked.Increment(ref commits);
            return 0;
        }, null);
        return () => Volatile.Read(ref commits);
    }

    private static async Task DisposeAll(params Unit[] units)
    {
        foreach (var unit in units)
        {
            await unit.Transaction.DisposeAsync();
            await unit.Connection.DisposeAsync();
        }
    }
}
