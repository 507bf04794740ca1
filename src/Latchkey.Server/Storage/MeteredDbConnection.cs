using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Latchkey.Server.Common;

namespace Latchkey.Server.Storage;

/// <summary>
/// A connection that records, when disposed, how long the repository held it (see
/// <see cref="ServerMetrics.DatabaseOperation"/>). Everything else goes straight to the provider's connection:
/// commands and transactions are the provider's own, so Dapper and the providers' exceptions behave as before.
/// With a <paramref name="writeGate"/> (SQLite: one writer at a time), beginning a transaction first waits its turn
/// at the gate and the turn ends when the connection is disposed, so writers queue in order instead of sleeping in
/// SQLite's busy handler and retrying (which starves some of them for seconds under load).
/// </summary>
internal sealed class MeteredDbConnection(DbConnection inner, string engine, long startTimestamp, SemaphoreSlim? writeGate = null) : DbConnection
{
    // Past this wait the transaction goes ahead without its turn and SQLite's own busy timeout decides, as it did
    // before the gate: a code path that (wrongly) nests two write transactions fails as before rather than hanging.
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMilliseconds(SqliteConnectionFactory.BusyTimeoutMilliseconds);

    private bool recorded;
    private bool holdsGate;

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

        return inner.BeginTransaction(isolationLevel);
    }

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        if (writeGate is not null && !holdsGate)
        {
            holdsGate = await writeGate.WaitAsync(GateTimeout, cancellationToken);
        }

        return await inner.BeginTransactionAsync(isolationLevel, cancellationToken);
    }

    protected override DbCommand CreateDbCommand() => inner.CreateCommand();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            ReleaseGate();
            Record();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        ReleaseGate();
        Record();
        await base.DisposeAsync();
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
