using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Latchkey.Server.Common;

namespace Latchkey.Server.Storage;

/// <summary>
/// A connection that records, when disposed, how long the repository held it (see
/// <see cref="ServerMetrics.DatabaseOperation"/>). Everything else goes straight to the provider's connection.
/// With a <paramref name="pool"/> (SQLite) the connection is <paramref name="pooled"/>: commands reuse the statements
/// compiled on it (<see cref="CachedSqliteCommand"/>), and disposing hands it back to the pool instead of closing it,
/// saying whether it may be reused (not when a transaction or a statement is still open on it). Beginning a
/// transaction first waits its turn at the pool's write gate (<see cref="SqliteWriteGate"/>), so writers queue in order
/// instead of sleeping in SQLite's busy handler and retrying (which starves some of them for seconds under load); the
/// turn ends when the connection is disposed, or when the transaction hands it and its open batch on.
/// A transaction that got its turn moves onto the pool's one writer connection, and the connection it was lent goes
/// back to the pool: SQLite drops a connection's page cache whenever another connection has committed, so writes
/// spread over many connections read every page from the file again, while the one writer keeps its pages. On the
/// writer, the transaction is a unit of a write batch (<see cref="SqliteWriteBatch"/>): group commit, one fsync for
/// the units that queued one after another.
/// </summary>
internal sealed class MeteredDbConnection(
    DbConnection inner,
    string engine,
    long startTimestamp,
    SqliteConnectionFactory? pool = null,
    PooledSqliteConnection? pooled = null) : DbConnection
{
    // Past this wait the transaction goes ahead without its turn and SQLite's own busy timeout decides, as it did
    // before the gate: a code path that (wrongly) nests two write transactions fails as before rather than hanging.
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMilliseconds(SqliteConnectionFactory.BusyTimeoutMilliseconds);

    private bool recorded;
    private bool holdsGate;
    private bool released;
    // The writer went on to the next gate holder with the batch this connection's unit ended in: the next use borrows
    // another pooled connection.
    private bool detached;
    private DbTransaction? lastTransaction;

    /// <summary>The provider's connection underneath (tests look at SQLite's compiled statements through it).</summary>
    internal DbConnection Inner => inner;

    /// <summary>The pooled SQLite connection underneath now: the writer once a write transaction has begun.</summary>
    internal PooledSqliteConnection? Pooled
    {
        get
        {
            Reattach();
            return pooled;
        }
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    /// <summary>True once a pooled connection went back to the pool: from then on it may be another caller's.</summary>
    internal bool Released => released;

    // A pooled connection that was handed back reports Closed and refuses work: the SQLite connection underneath
    // may already be lent to another request.
    public override ConnectionState State => released ? ConnectionState.Closed : detached ? ConnectionState.Open : inner.State;

    public override void ChangeDatabase(string databaseName)
    {
        ThrowIfReleased();
        Reattach();
        inner.ChangeDatabase(databaseName);
    }

    public override void Close()
    {
        if (pooled is not null)
        {
            // Closed by hand, it is never pooled again (CloseOrReturn sees it is not Open).
            ThrowIfReleased();
            Reattach();
        }

        inner.Close();
    }

    // A pooled connection opens once, in the factory, with its pragmas; reopening would skip them.
    public override void Open()
    {
        if (pooled is not null)
        {
            throw new NotSupportedException("Pooled connections come open from the connection factory.");
        }

        inner.Open();
    }

    public override Task OpenAsync(CancellationToken cancellationToken)
        => pooled is null ? inner.OpenAsync(cancellationToken) : throw new NotSupportedException("Pooled connections come open from the connection factory.");

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        ThrowIfReleased();
        Reattach();
        CheckBegin(isolationLevel);
        if (pool is not null && !holdsGate)
        {
            var (entered, handed) = pool.Gate.Enter(GateTimeout);
            TakeTurn(entered, handed);
        }

        return Begin(isolationLevel);
    }

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        ThrowIfReleased();
        Reattach();
        CheckBegin(isolationLevel);
        if (pool is not null && !holdsGate)
        {
            var (entered, handed) = await pool.Gate.EnterAsync(GateTimeout, cancellationToken);
            TakeTurn(entered, handed);
        }

        return Begin(isolationLevel);
    }

    // Before the turn is taken, so a refused call never holds a batch handed to it.
    private void CheckBegin(IsolationLevel isolationLevel)
    {
        if (pool is null)
        {
            return;
        }

        // Microsoft.Data.Sqlite's default, which every caller here uses: BEGIN IMMEDIATE, serialisable.
        if (isolationLevel is not (IsolationLevel.Unspecified or IsolationLevel.Serializable))
        {
            throw new NotSupportedException("SQLite write transactions here are serialisable.");
        }

        // As Microsoft.Data.Sqlite refuses it: a second unit would end the first's savepoint, or hand the writer on under it.
        if (lastTransaction is SqliteBatchUnit { IsOpen: true } || lastTransaction?.Connection is not null)
        {
            throw new InvalidOperationException("A transaction is already open on this connection.");
        }
    }

    private DbTransaction Begin(IsolationLevel isolationLevel)
    {
        if (holdsGate && pooled is { IsWriter: true } writer)
        {
            var batch = SqliteWriteBatch.BeginUnit(writer);
            return lastTransaction = new SqliteBatchUnit(this, batch, writer);
        }

        try
        {
            return lastTransaction = inner.BeginTransaction(isolationLevel);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            pooled?.NoteError(e); // an I/O error at BEGIN must not keep the writer in use for every later write
            throw;
        }
    }

    // With the turn: onto the writer — the one handed on with an open batch, or the one kept in the pool. A connection
    // that cannot move (not clean) commits a handed-on batch first, so it never waits on that batch's write lock.
    private void TakeTurn(bool entered, PooledSqliteConnection? handed)
    {
        holdsGate = entered;
        if (handed is null)
        {
            MoveToWriter();
            return;
        }

        if (IsClean(pooled!))
        {
            var left = pooled!;
            pooled = handed;
            inner = handed.Connection;
            pool!.Return(left, reusable: true);
            return;
        }

        FinishHanded(handed);
    }

    /// <summary>
    /// Ends a unit of the writer's batch (<see cref="SqliteBatchUnit"/>). While others wait for the turn and the batch
    /// has room, the turn and the open batch go on to the next waiter, and this connection lets go of the writer;
    /// otherwise the batch commits now. A committed unit's task completes when its batch has committed.
    /// </summary>
    internal Task EndUnit(SqliteBatchUnit unit, bool commit)
    {
        var writer = unit.Writer;
        var batch = unit.Batch;
        var outcome = batch.EndUnit(writer, commit);
        if (!ReferenceEquals(writer.Batch, batch))
        {
            return outcome; // the batch ended with an error in this unit
        }

        if (holdsGate && ReferenceEquals(pooled, writer) && batch.Units < SqliteWriteBatch.MaxUnits
            && writer.Leased == 0 && !writer.Broken && pool!.Gate.TryHandOn(writer))
        {
            holdsGate = false;
            detached = true;
            return outcome;
        }

        batch.Finish(writer);
        return outcome;
    }

    /// <summary>
    /// A write outside any transaction (an autocommit statement) on SQLite waits its turn too, rather than meeting an
    /// open batch's write lock in SQLite's busy handler, which retries only now and then and would rarely find the
    /// lock free between batches. A batch handed to it is committed first; the statement runs on this connection.
    /// True when the caller took the turn and must <see cref="LeaveWriteTurn"/> once the statement is done.
    /// </summary>
    internal bool EnterWriteTurn(string sql, DbTransaction? transaction)
    {
        if (!NeedsWriteTurn(sql, transaction))
        {
            return false;
        }

        var (entered, handed) = pool!.Gate.Enter(GateTimeout);
        try
        {
            FinishHanded(handed);
        }
        catch when (entered)
        {
            pool.Gate.Exit(); // the turn is given back before the failure goes up
            throw;
        }

        return entered;
    }

    internal async ValueTask<bool> EnterWriteTurnAsync(string sql, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (!NeedsWriteTurn(sql, transaction))
        {
            return false;
        }

        var (entered, handed) = await pool!.Gate.EnterAsync(GateTimeout, cancellationToken);
        try
        {
            FinishHanded(handed);
        }
        catch when (entered)
        {
            pool.Gate.Exit(); // the turn is given back before the failure goes up
            throw;
        }

        return entered;
    }

    internal void LeaveWriteTurn() => pool!.Gate.Exit();

    private bool NeedsWriteTurn(string sql, DbTransaction? transaction)
        => pool is not null && !holdsGate && transaction is null && SqliteStatementKind.Writes(sql);

    private void FinishHanded(PooledSqliteConnection? handed)
    {
        if (handed is not null)
        {
            handed.Batch?.Finish(handed);
            pool!.Return(handed, reusable: IsIdle(handed));
        }
    }

    protected override DbCommand CreateDbCommand() => pooled is null ? inner.CreateCommand() : new CachedSqliteCommand(Live());

    // The writer went on with the batch: this connection continues on another pooled one (outside any transaction).
    private void Reattach()
    {
        if (!detached || released)
        {
            return;
        }

        var fresh = pool!.Borrow();
        detached = false;
        pooled = fresh;
        inner = fresh.Connection;
    }

    // Only with the gate held (the writer is the gate holder's alone) and only from a clean connection: nothing leased
    // (no command of this caller still points into it), no transaction or statement open. Otherwise the transaction
    // runs where it is, as before. The connection left behind goes back to the pool at once. When no writer is kept
    // (first write, or after ClearPool, pruning or a broken writer), the clean connection in hand becomes the writer:
    // nothing is opened while the gate is held. Per-connection state set before BEGIN does not move with the
    // transaction (none is used: pragmas are the pool's, set alike on every connection when it opens).
    private void MoveToWriter()
    {
        if (!holdsGate || pool is null || pooled is null || pooled.IsWriter || !IsClean(pooled))
        {
            return;
        }

        if (pool.TakeWriter() is not { } writer)
        {
            pooled.IsWriter = true;
            return;
        }

        var left = pooled;
        pooled = writer;
        inner = writer.Connection;
        pool.Return(left, reusable: true);
    }

    // What a pooled connection must be to go back to the pool (or be left behind by a transaction moving to the writer):
    // open, not broken, no command leased from it, no transaction or statement open on it.
    private bool IsClean(PooledSqliteConnection connection) => lastTransaction?.Connection is null && IsIdle(connection);

    private static bool IsIdle(PooledSqliteConnection connection)
        => connection.Connection.State == ConnectionState.Open
            && !connection.Broken
            && connection.Leased == 0
            && SQLitePCL.raw.sqlite3_get_autocommit(connection.Connection.Handle) != 0;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                CloseOrReturn();
            }
            finally
            {
                ReleaseGate(); // even if the rollback of an abandoned transaction failed: the next writer must not wait 10 s
                Record();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (pooled is null)
            {
                await inner.DisposeAsync();
            }
            else
            {
                CloseOrReturn();
            }
        }
        finally
        {
            ReleaseGate();
            Record();
        }

        await base.DisposeAsync();
    }

    // Before the write gate is released: a pooled connection goes back only with no transaction open on it (else it
    // is closed, which rolls the transaction back), so the next writer never finds one half done.
    private void CloseOrReturn()
    {
        if (pooled is null)
        {
            inner.Dispose();
            return;
        }

        if (released)
        {
            return;
        }

        // Disposed before its transaction: the unit is undone first, so the batch it is in goes on (or commits) without it.
        if (lastTransaction is SqliteBatchUnit { IsOpen: true } unit)
        {
            unit.Dispose();
        }

        released = true;
        if (!detached)
        {
            pool!.Return(pooled, IsClean(pooled));
        }
    }

    private void ThrowIfReleased() => ObjectDisposedException.ThrowIf(released, this);

    private MeteredDbConnection Live()
    {
        ThrowIfReleased();
        Reattach();
        return this;
    }

    private void ReleaseGate()
    {
        if (holdsGate)
        {
            holdsGate = false;
            pool!.Gate.Exit();
        }
    }

    private void Record()
    {
        if (!recorded)
        {
            recorded = true;
            ServerMetrics.DatabaseOperation(engine, startTimestamp);
        }
    }
}
