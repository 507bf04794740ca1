using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Latchkey.Server.Common;

namespace Latchkey.Server.Storage;

/// <summary>
/// A connection that records, when disposed, how long the repository held it (see
/// <see cref="ServerMetrics.DatabaseOperation"/>). Everything else goes straight to the provider's connection:
/// transactions are the provider's own, so Dapper and the providers' exceptions behave as before.
/// With a <paramref name="writeGate"/> (SQLite: one writer at a time), beginning a transaction first waits its turn
/// at the gate and the turn ends when the connection is disposed, so writers queue in order instead of sleeping in
/// SQLite's busy handler and retrying (which starves some of them for seconds under load).
/// With a <paramref name="pooled"/> connection (SQLite), commands reuse the statements compiled on it
/// (<see cref="CachedSqliteCommand"/>) and disposing hands it back to <paramref name="release"/> instead of closing it,
/// saying whether it may be reused: not when a transaction or a statement is still open on it.
/// With a <paramref name="takeWriter"/> (SQLite), a transaction that got its turn at the gate moves onto the pool's one
/// writer connection, and the connection it was lent goes back to the pool: SQLite drops a connection's page cache
/// whenever another connection has committed, so writes spread over many connections read every page from the file
/// again, while the one writer, whose own commits are the only ones, keeps its pages.
/// </summary>
internal sealed class MeteredDbConnection(
    DbConnection inner,
    string engine,
    long startTimestamp,
    SemaphoreSlim? writeGate = null,
    PooledSqliteConnection? pooled = null,
    Action<PooledSqliteConnection, bool>? release = null,
    Func<PooledSqliteConnection?>? takeWriter = null) : DbConnection
{
    // Past this wait the transaction goes ahead without its turn and SQLite's own busy timeout decides, as it did
    // before the gate: a code path that (wrongly) nests two write transactions fails as before rather than hanging.
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMilliseconds(SqliteConnectionFactory.BusyTimeoutMilliseconds);

    private bool recorded;
    private bool holdsGate;
    private bool released;
    private DbTransaction? lastTransaction;

    /// <summary>The provider's connection underneath (tests look at SQLite's compiled statements through it).</summary>
    internal DbConnection Inner => inner;

    /// <summary>The pooled SQLite connection underneath now: the writer once a write transaction has begun.</summary>
    internal PooledSqliteConnection? Pooled => pooled;

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
    public override ConnectionState State => released ? ConnectionState.Closed : inner.State;

    public override void ChangeDatabase(string databaseName)
    {
        ThrowIfReleased();
        inner.ChangeDatabase(databaseName);
    }

    public override void Close()
    {
        if (pooled is not null)
        {
            // Closed by hand, it is never pooled again (CloseOrReturn sees it is not Open).
            ThrowIfReleased();
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
        if (writeGate is not null && !holdsGate)
        {
            holdsGate = writeGate.Wait(GateTimeout);
            MoveToWriter();
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

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        ThrowIfReleased();
        if (writeGate is not null && !holdsGate)
        {
            holdsGate = await writeGate.WaitAsync(GateTimeout, cancellationToken);
            MoveToWriter();
        }

        try
        {
            return lastTransaction = await inner.BeginTransactionAsync(isolationLevel, cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            pooled?.NoteError(e);
            throw;
        }
    }

    protected override DbCommand CreateDbCommand() => pooled is null ? inner.CreateCommand() : new CachedSqliteCommand(Live());

    // Only with the gate held (the writer is the gate holder's alone) and only from a clean connection: nothing leased
    // (no command of this caller still points into it), no transaction or statement open. Otherwise the transaction
    // runs where it is, as before. The connection left behind goes back to the pool at once. When no writer is kept
    // (first write, or after ClearPool, pruning or a broken writer), the clean connection in hand becomes the writer:
    // nothing is opened while the gate is held. Per-connection state set before BEGIN does not move with the
    // transaction (none is used: pragmas are the pool's, set alike on every connection when it opens).
    private void MoveToWriter()
    {
        if (!holdsGate || takeWriter is null || pooled is null || pooled.IsWriter || !IsClean(pooled))
        {
            return;
        }

        if (takeWriter() is not { } writer)
        {
            pooled.IsWriter = true;
            return;
        }

        var left = pooled;
        pooled = writer;
        inner = writer.Connection;
        release!(left, true);
    }

    // What a pooled connection must be to go back to the pool (or be left behind by a transaction moving to the writer):
    // open, not broken, no command leased from it, no transaction or statement open on it.
    private bool IsClean(PooledSqliteConnection connection)
        => connection.Connection.State == ConnectionState.Open
            && !connection.Broken
            && connection.Leased == 0
            && lastTransaction?.Connection is null
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

        released = true;
        release!(pooled, IsClean(pooled));
    }

    private void ThrowIfReleased() => ObjectDisposedException.ThrowIf(released, this);

    private MeteredDbConnection Live()
    {
        ThrowIfReleased();
        return this;
    }

    private void ReleaseGate()
    {
        if (holdsGate)
        {
            holdsGate = false;
            writeGate!.Release();
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
