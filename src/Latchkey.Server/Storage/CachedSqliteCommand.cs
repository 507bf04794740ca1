using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// The command a pooled SQLite connection hands to Dapper: it collects the text and parameters like any command and,
/// when executed, runs them on the connection's already-compiled <see cref="SqliteCommand"/> for that text
/// (<see cref="PooledSqliteConnection"/>). Parameters are bound afresh on every execution; only the compiled
/// statement is shared, so results are exactly those of a new command.
/// </summary>
internal sealed class CachedSqliteCommand(DbConnection owner, PooledSqliteConnection pooled) : DbCommand
{
    // Holds the parameters only; never executed (Microsoft.Data.Sqlite's parameter collection has no public constructor).
    private readonly SqliteCommand parameterHolder = new();
    private SqliteCommand? leased;
    private SqliteDataReader? reader;

    [AllowNull]
    public override string CommandText { get; set; } = string.Empty;

    public override int CommandTimeout { get; set; } = 30;

    public override CommandType CommandType { get; set; } = CommandType.Text;

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection
    {
        get => owner;
        set => throw new NotSupportedException("A pooled SQLite command stays with the connection that created it.");
    }

    protected override DbParameterCollection DbParameterCollection => parameterHolder.Parameters;

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel() => leased?.Cancel();

    protected override DbParameter CreateDbParameter() => new SqliteParameter();

    /// <summary>Nothing to do: the statement is compiled on its first execution and kept.</summary>
    public override void Prepare()
    {
    }

    public override int ExecuteNonQuery() => Lease().ExecuteNonQuery();

    public override object? ExecuteScalar() => Lease().ExecuteScalar();

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => Lease().ExecuteNonQueryAsync(cancellationToken);

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => Lease().ExecuteScalarAsync(cancellationToken);

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => reader = Lease().ExecuteReader(behavior);

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
        => reader = await Lease().ExecuteReaderAsync(behavior, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnLease();
            parameterHolder.Dispose();
        }

        base.Dispose(disposing);
    }

    private SqliteCommand Lease()
    {
        if (CommandType != CommandType.Text)
        {
            throw new NotSupportedException("SQLite runs only CommandType.Text.");
        }

        if (leased is not null && !string.Equals(leased.CommandText, CommandText, StringComparison.Ordinal))
        {
            ReturnLease();
        }

        leased ??= pooled.Rent(CommandText);
        leased.Parameters.Clear();
        foreach (SqliteParameter parameter in parameterHolder.Parameters)
        {
            leased.Parameters.Add(parameter);
        }

        leased.Transaction = (SqliteTransaction?)DbTransaction;
        leased.CommandTimeout = CommandTimeout;
        return leased;
    }

    private void ReturnLease()
    {
        if (leased is null)
        {
            return;
        }

        // A reader still open holds the statement mid-step: that command is not reused.
        pooled.Return(leased, reusable: reader is null || reader.IsClosed);
        leased = null;
        reader = null;
    }
}
