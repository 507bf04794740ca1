using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Latchkey.Server.Common;

namespace Latchkey.Server.Storage;

/// <summary>
/// A connection that records, when disposed, how long the repository held it (see
/// <see cref="ServerMetrics.DatabaseOperation"/>). Everything else goes straight to the provider's connection:
/// commands and transactions are the provider's own, so Dapper and the providers' exceptions behave as before.
/// </summary>
internal sealed class MeteredDbConnection(DbConnection inner, string engine, long startTimestamp) : DbConnection
{
    private bool recorded;

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

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    protected override ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
        => inner.BeginTransactionAsync(isolationLevel, cancellationToken);

    protected override DbCommand CreateDbCommand() => inner.CreateCommand();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            Record();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        Record();
        await base.DisposeAsync();
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
