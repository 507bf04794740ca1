using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// Embedded SQLite (Microsoft.Data.Sqlite with its bundled, current SQLite; WAL mode set by the migrator,
/// foreign keys on, waits rather than failing when another writer holds the lock).
/// </summary>
#pragma warning disable CA1001 // The gate's SemaphoreSlim holds no kernel handle unless AvailableWaitHandle is read (it never is); disposing it under connections still in flight would only turn their release into an exception.
public sealed class SqliteConnectionFactory : IDbConnectionFactory
#pragma warning restore CA1001
{
    /// <summary>How long a statement waits for another connection's write lock before failing with SQLITE_BUSY.</summary>
    public const int BusyTimeoutMilliseconds = 10_000;

    // Per connection, not per file, so every connection sets them.
    // synchronous = FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss or an OS crash, and
    // for an authorization server those commits are revocations, consumed refresh tokens (reuse detection) and audit
    // events; losing one would bring a revoked token back to life. FULL costs one fsync of the WAL per commit.
    private const string ConnectionPragmas =
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";

    // The native connections that already have them. Microsoft.Data.Sqlite pools native connections (one `sqlite3`
    // handle, reused by every SqliteConnection that draws it) and per-connection pragmas outlive a return to the pool,
    // so they are set once per handle, not on every open: that was three statements parsed and run on every request
    // (bench/README.md). A handle the pool closes is dropped here with it.
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();

    private readonly string connectionString;

    // One writer at a time (SQLite allows no more): transactions queue here, in this process, in arrival order.
    private readonly SemaphoreSlim writeGate = new(1, 1);

    public SqliteConnectionFactory(string connectionString)
    {
        // "Foreign Keys" in the string would make Microsoft.Data.Sqlite set the pragma on every open, pooled ones
        // included, undoing ours (set once per native connection, below): foreign keys are always on here.
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, ForeignKeys = null };
        this.connectionString = builder.ToString();
        DataSource = builder.DataSource;
        if (builder.Mode != SqliteOpenMode.Memory)
        {
            OwnerOnlyFiles.PrepareSqliteFiles(DataSource);
        }
    }

    public DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public string DataSource { get; }

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var handle = connection.Handle!;
            if (!Configured.TryGetValue(handle, out _))
            {
                using var command = connection.CreateCommand();
                command.CommandText = ConnectionPragmas;
                await command.ExecuteNonQueryAsync(cancellationToken);
                Configured.AddOrUpdate(handle, Configured);
            }

            return new MeteredDbConnection(connection, "sqlite", started, writeGate);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
