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
/// </summary>
internal sealed class MeteredDbConnection(
    DbConnection inner,
    string engine,
    long startTimestamp,
    SemaphoreSlim? writeGate = null,
    PooledSqliteConnection? pooled = null,
    Action<PooledSqliteConnection, bool>? release = null) : DbConnection
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

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override void Close() => inner.Close();

    public override void Open() => inner.Open();

    public override Task OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        if (writeGate is not null && !holdsGate)
        {
            holdsGate = writeGate.Wait(GateTimeout);
        }

        return lastTransaction = inner.BeginTransaction(isolationLevel);
    }

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        if (writeGate is not null && !holdsGate)
        {
            holdsGate = await writeGate.WaitAsync(GateTimeout, cancellationToken);
        }

        return lastTransaction = await inner.BeginTransactionAsync(isolationLevel, cancellationToken);
    }

    protected override DbCommand CreateDbCommand() => pooled is null ? inner.CreateCommand() : new CachedSqliteCommand(this, pooled);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseOrReturn();
            ReleaseGate();
            Record();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (pooled is null)
        {
            await inner.DisposeAsync();
        }
        else
        {
            CloseOrReturn();
        }

        ReleaseGate();
        Record();
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
        var reusable = inner.State == ConnectionState.Open
            && pooled.Leased == 0
            && lastTransaction?.Connection is null
            && SQLitePCL.raw.sqlite3_get_autocommit(pooled.Connection.Handle) != 0;
        release!(pooled, reusable);
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
