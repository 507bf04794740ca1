using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// One open SQLite connection kept by <see cref="SqliteConnectionFactory"/>'s pool, with the statements already
/// compiled on it. Microsoft.Data.Sqlite keeps a compiled statement only as long as the <see cref="SqliteCommand"/>
/// that compiled it, and closes every command when its connection closes (dotnet/efcore#14044): so each repository
/// call used to parse and plan its SQL again, which perf showed as most of SQLite's share of a bearer request
/// (bench/README.md). Here the commands stay with the open connection, one per SQL text, and are reused by
/// <see cref="CachedSqliteCommand"/>. Used by one caller at a time, like any ADO.NET connection, so nothing here locks.
/// </summary>
internal sealed class PooledSqliteConnection(SqliteConnection connection, int generation) : IDisposable
{
    /// <summary>
    /// Compiled statements kept per connection. The server has a few dozen distinct statements on its hot paths; the
    /// bound keeps a connection's memory (and SQLite's per-connection lookaside) from growing with rare ones.
    /// </summary>
    internal const int MaxStatements = 96;

    private readonly Dictionary<string, SqliteCommand> idle = new(StringComparer.Ordinal);
    private bool disposed;

    public SqliteConnection Connection => connection;

    /// <summary>The pool's generation it was opened in: a connection from before <see cref="SqliteConnectionFactory.ClearPool"/> is closed on return.</summary>
    public int Generation => generation;

    /// <summary>
    /// The pool's one writer connection (<see cref="SqliteConnectionFactory"/>): lent only to the holder of the write
    /// gate. Set once, by the gate holder, on the clean connection it holds when no writer is kept.
    /// </summary>
    public bool IsWriter { get; set; }

    /// <summary>The write batch open on the writer, passed with it from one gate holder to the next; null between batches.</summary>
    public SqliteWriteBatch? Batch { get; set; }

    /// <summary>Statements currently handed out; a connection returned with any is closed rather than pooled.</summary>
    public int Leased { get; private set; }

    public int CachedStatements => idle.Count;

    /// <summary>When it last went back to the pool (<see cref="Environment.TickCount64"/>): idle ones are closed after a while.</summary>
    public long ReturnedAt { get; set; }

    /// <summary>
    /// Set when SQLite answered with an error that says the file underneath is gone or damaged (I/O error, corrupt,
    /// not a database, cannot open, read-only because the file moved): such a connection is closed, not pooled, so the
    /// next open reaches the file afresh.
    /// </summary>
    public bool Broken { get; private set; }

    public void NoteError(SqliteException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Broken |= error.SqliteErrorCode is 8 /* READONLY */ or 10 /* IOERR */ or 11 /* CORRUPT */ or 14 /* CANTOPEN */ or 26 /* NOTADB */;
    }

    /// <summary>The command compiled for <paramref name="sql"/> on this connection, or a new one (compiled on first use).</summary>
    public SqliteCommand Rent(string sql)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Leased++;
        if (idle.Remove(sql, out var command))
        {
            return command;
        }

        command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    /// <summary>Back after use: its parameters dropped (no caller's values linger), its statement kept when there is room.</summary>
    public void Return(SqliteCommand command, bool reusable)
    {
        Leased--;
        if (!reusable || disposed || idle.Count >= MaxStatements || idle.ContainsKey(command.CommandText))
        {
            command.Dispose();
            return;
        }

        command.Parameters.Clear();
        command.Transaction = null;
        idle.Add(command.CommandText, command);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var command in idle.Values)
        {
            command.Dispose();
        }

        idle.Clear();
        connection.Dispose(); // rolls back a batch still open on it
        var abandoned = Batch;
        Batch = null;
        abandoned?.Abandon();
    }
}
