using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// Embedded SQLite (Microsoft.Data.Sqlite with its bundled, current SQLite; WAL mode set by the migrator,
/// foreign keys on, waits rather than failing when another writer holds the lock).
/// Connections are pooled here, not by Microsoft.Data.Sqlite, because its pool closes every compiled statement on
/// each return: this pool keeps connections open with their statements (<see cref="PooledSqliteConnection"/>), so a
/// hot query is parsed and planned once per connection, and the per-connection pragmas run once, when it opens.
/// </summary>
public sealed class SqliteConnectionFactory : IDbConnectionFactory, IAsyncDisposable, IDisposable
{
    /// <summary>How long a statement waits for another connection's write lock before failing with SQLITE_BUSY.</summary>
    public const int BusyTimeoutMilliseconds = 10_000;

    // Per connection, not per file, so every connection sets them.
    // synchronous = FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss or an OS crash, and
    // for an authorization server those commits are revocations, consumed refresh tokens (reuse detection) and audit
    // events; losing one would bring a revoked token back to life. FULL costs one fsync of the WAL per commit.
    // temp_store = MEMORY: group commit runs each transaction as a SAVEPOINT of a batch, and a savepoint keeps the
    // pages it changes in a sub-journal so it alone can be undone. Past 64 KiB SQLite spills that to a temporary file,
    // created and deleted per batch: perf showed openat, pwrite and the unlink's inode eviction in every code exchange.
    // It only ever undoes a unit inside its batch, never crash recovery (the WAL does that), so memory is enough; a
    // batch is at most SqliteWriteBatch.MaxUnits transactions.
    private const string ConnectionPragmas =
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;";

    /// <summary>
    /// Idle connections kept open. Waiting writers each hold a connection (they queue at the write gate with it), so the
    /// bound is the concurrency the server sees under load, not the few connections a quiet server uses.
    /// </summary>
    internal const int MaxIdleConnections = 64;

    /// <summary>An idle connection is closed after this long unused (its page cache and file handles with it).</summary>
    internal static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(3);

    private readonly string connectionString;
    private readonly ConcurrentStack<PooledSqliteConnection> idle = new();
    private int idleCount;
    private int generation;
    private volatile bool disposed;
    private readonly Timer pruning;

    /// <summary>One writer at a time (SQLite allows no more): transactions queue here, in this process, in arrival order.</summary>
    internal SqliteWriteGate Gate { get; } = new();

    // The connection write transactions run on, kept here between them (MeteredDbConnection moves a transaction onto
    // it once the transaction holds the gate): its page cache stays valid, because no other connection commits.
    private PooledSqliteConnection? writer;

    public SqliteConnectionFactory(string connectionString)
    {
        // "Foreign Keys" in the string would make Microsoft.Data.Sqlite set the pragma on every open, pooled ones
        // included, undoing ours (set once per native connection, below): foreign keys are always on here.
        // Pooling off: this factory is the pool (see above); a second pool underneath would only hold closed handles.
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false, ForeignKeys = null };
        this.connectionString = builder.ToString();
        DataSource = builder.DataSource;
        if (builder.Mode != SqliteOpenMode.Memory)
        {
            OwnerOnlyFiles.PrepareSqliteFiles(DataSource);
        }

        pruning = new Timer(_ => PruneIdle(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public string DataSource { get; }

    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => ValueTask.FromResult<DbConnection>(Open(cancellationToken));

    private MeteredDbConnection Open(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (TakeIdle() is { } pooled)
        {
            return Lend(pooled, started);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Lend(OpenNew(), started);
    }

    /// <summary>
    /// SQLite's pool has no bound to wait on (a connection is opened when none is idle), so this is an ordinary open;
    /// a write through it still queues at the write gate as any other.
    /// </summary>
    public DbConnection OpenOutsidePool() => Open(CancellationToken.None);

    /// <summary>An idle connection, or a new one: for a connection whose writer went on to the next gate holder.</summary>
    internal PooledSqliteConnection Borrow()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return TakeIdle() ?? OpenNew();
    }

    private PooledSqliteConnection? TakeIdle()
    {
        while (idle.TryPop(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            if (pooled.Generation == Volatile.Read(ref generation) && pooled.Connection.State == System.Data.ConnectionState.Open)
            {
                return pooled;
            }

            pooled.Dispose();
        }

        return null;
    }

    // Opening a SQLite connection is synchronous underneath (Microsoft.Data.Sqlite's OpenAsync runs Open).
    private PooledSqliteConnection OpenNew()
    {
        var connectionGeneration = Volatile.Read(ref generation);
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = ConnectionPragmas;
                command.ExecuteNonQuery();
            }

            return new PooledSqliteConnection(connection, connectionGeneration);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The kept writer connection, for the holder of the write gate; null when none is kept (or it is stale).</summary>
    internal PooledSqliteConnection? TakeWriter()
    {
        var kept = Interlocked.Exchange(ref writer, null);
        if (kept is not null && !disposed && kept.Generation == Volatile.Read(ref generation) && kept.Connection.State == System.Data.ConnectionState.Open)
        {
            return kept;
        }

        kept?.Dispose();
        return null;
    }

    /// <summary>
    /// Closes every idle connection, and every connection in use when it comes back: the next open reaches the file
    /// afresh (an operator who moved or restored the database file; tests that take the file away).
    /// </summary>
    public void ClearPool()
    {
        Interlocked.Increment(ref generation);
        DrainIdle();
    }

    public void Dispose()
    {
        disposed = true;
        pruning.Dispose();
        ClearPool();
    }

    /// <summary>Closes the connections idle for longer than <see cref="IdleLifetime"/>; the others go back in their order.</summary>
    internal void PruneIdle(long? now = null)
    {
        var cutoff = (now ?? Environment.TickCount64) - (long)IdleLifetime.TotalMilliseconds;
        // Only an expired writer is taken out, and only if it is still the one kept: a live one stays where the next
        // gate holder finds it.
        if (Volatile.Read(ref writer) is { } idleWriter && idleWriter.ReturnedAt < cutoff
            && ReferenceEquals(Interlocked.CompareExchange(ref writer, null, idleWriter), idleWriter))
        {
            idleWriter.Dispose();
        }

        var kept = new List<PooledSqliteConnection>();
        while (idle.TryPop(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            if (pooled.ReturnedAt < cutoff)
            {
                pooled.Dispose();
            }
            else
            {
                kept.Add(pooled);
            }
        }

        for (var i = kept.Count - 1; i >= 0; i--)
        {
            Return(kept[i], reusable: true, returnedAt: kept[i].ReturnedAt);
        }
    }

    private void DrainIdle()
    {
        Interlocked.Exchange(ref writer, null)?.Dispose();
        while (idle.TryPop(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            pooled.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private MeteredDbConnection Lend(PooledSqliteConnection pooled, long started)
        => new(pooled.Connection, "sqlite", started, this, pooled);

    /// <summary>A lent connection back: pooled when <paramref name="reusable"/>, the writer into its slot, else closed.</summary>
    internal void Return(PooledSqliteConnection pooled, bool reusable) => Return(pooled, reusable, Environment.TickCount64);

    private void Return(PooledSqliteConnection pooled, bool reusable, long returnedAt)
    {
        // Leased: a command still points into it, so it can never be another caller's (a backstop; callers check too).
        // Batch: a write batch still open goes with the turn, never into the pool (a backstop: closing it fails its units).
        if (!reusable || pooled.Leased != 0 || pooled.Batch is not null || disposed || pooled.Generation != Volatile.Read(ref generation))
        {
            pooled.Dispose();
            return;
        }

        if (pooled.IsWriter)
        {
            pooled.ReturnedAt = returnedAt;
            // Only the gate holder takes the writer out and puts it back, so the slot is empty here; were it ever not,
            // the one found there is idle and is closed, never the one just put back.
            if (Interlocked.Exchange(ref writer, pooled) is { } previous && !ReferenceEquals(previous, pooled))
            {
                previous.Dispose();
            }

            if (disposed || pooled.Generation != Volatile.Read(ref generation))
            {
                Interlocked.Exchange(ref writer, null)?.Dispose();
            }

            return;
        }

        if (Interlocked.Increment(ref idleCount) > MaxIdleConnections)
        {
            Interlocked.Decrement(ref idleCount);
            pooled.Dispose();
            return;
        }

        pooled.ReturnedAt = returnedAt;
        idle.Push(pooled);
        if (disposed || pooled.Generation != Volatile.Read(ref generation))
        {
            DrainIdle(); // raced with Dispose or ClearPool: nothing is left open behind them
        }
    }
}
