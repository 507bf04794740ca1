using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// Group commit on SQLite: write transactions that queue at the write gate one after another share one SQLite
/// transaction on the writer connection, and one <c>COMMIT</c> — one fsync of the WAL under <c>synchronous = FULL</c> —
/// ends them all. Each caller's transaction is a unit inside it (<see cref="SqliteBatchUnit"/>, a <c>SAVEPOINT</c>):
/// its commit releases the savepoint, its rollback undoes only its own work. After a unit, while others wait at the
/// gate and the batch is under <see cref="MaxUnits"/>, the turn and the open batch pass to the next waiter
/// (<see cref="SqliteWriteGate.TryHandOn"/>); the last unit commits. A unit's commit returns only when that COMMIT has
/// returned, so nothing is answered before it is durable: a crash mid-batch loses only work nobody was told about,
/// and a failed COMMIT fails every unit that committed into the batch.
/// Units see the work of the units before them in the batch (they are serialised by the gate exactly as separate
/// transactions were). A unit that rolls back also returns only once the batch has ended (committed or not): it may
/// have decided on what the units before it wrote, and its caller's next read, on another connection, must see that.
/// </summary>
internal sealed class SqliteWriteBatch(SqliteTransaction transaction)
{
    /// <summary>
    /// Units per COMMIT at most. Bounds the wait a unit adds to the first ones in its batch (each unit holds the turn for
    /// a fraction of a millisecond on a token grant) and how long the write lock is held without a break for writes
    /// made outside the gate.
    /// </summary>
    internal const int MaxUnits = 32;

    private const string SavepointSql = "SAVEPOINT latchkey_unit";
    private const string ReleaseSql = "RELEASE latchkey_unit";
    private const string UndoSql = "ROLLBACK TO latchkey_unit";

    // Units waiting for the batch to end: committed ones fail with it, rolled-back ones only wait for it.
    private List<(TaskCompletionSource Done, bool RolledBack)>? waiting;

    /// <summary>Microsoft.Data.Sqlite's transaction on the writer: the one SQLite transaction the units share.</summary>
    public SqliteTransaction Transaction => transaction;

    /// <summary>Units that have ended in this batch, committed or not.</summary>
    public int Units { get; private set; }

    /// <summary>Opens a batch on the writer (<c>BEGIN IMMEDIATE</c>, the write lock up front), or joins its open one, and begins a unit.</summary>
    public static SqliteWriteBatch BeginUnit(PooledSqliteConnection writer)
    {
        var batch = writer.Batch;
        if (batch is null)
        {
            try
            {
                batch = new SqliteWriteBatch(writer.Connection.BeginTransaction());
            }
            catch (SqliteException e)
            {
                writer.NoteError(e); // an I/O error at BEGIN must not keep the writer in use for every later write
                throw;
            }

            writer.Batch = batch;
        }

        try
        {
            batch.Run(writer, SavepointSql);
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
        {
            if (e is SqliteException sqlite)
            {
                writer.NoteError(sqlite);
            }

            batch.Finish(writer); // the units before this one are still owed their COMMIT
            throw;
        }

        return batch;
    }

    /// <summary>Ends a unit: released into the batch (the task completes when the batch has committed) or undone.</summary>
    public Task EndUnit(PooledSqliteConnection writer, bool commit)
    {
        Units++;
        try
        {
            if (commit)
            {
                Run(writer, ReleaseSql);
                return Join(rolledBack: false);
            }

            Run(writer, UndoSql);
            Run(writer, ReleaseSql);
            // Waits for the batch too, whatever its outcome: what this unit saw of the units before it is then
            // committed, so a read the caller makes next (on any connection) sees it. Without this, a caller that acts
            // on what its unit saw could read it back elsewhere as never having happened: the test that caught it was
            // a code exchange, then reading on a pooled connection, that found the code unused and revoked nothing
            // (RFC 6749 §10.5).
            return Join(rolledBack: true);
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            if (e is SqliteException sqlite)
            {
                writer.NoteError(sqlite);
            }

            // This unit's work must not be committed with the others': undo it, or if that fails too, give up the batch.
            try
            {
                Run(writer, UndoSql);
                Run(writer, ReleaseSql);
            }
            catch (Exception undo) when (undo is SqliteException or ObjectDisposedException or InvalidOperationException)
            {
                Abort(writer, e);
            }

            if (commit)
            {
                return Task.FromException(e);
            }

            // Undone on the second try and the batch goes on: a rollback still returns once the batch has ended.
            return ReferenceEquals(writer.Batch, this) ? Join(rolledBack: true) : Task.CompletedTask;
        }
    }

    /// <summary>
    /// Commits the batch (one fsync for all its units) and completes their commits; if SQLite has already rolled the
    /// transaction back (an error that ends a whole transaction) or the COMMIT fails, fails them. The writer is left
    /// with no transaction open.
    /// </summary>
    public void Finish(PooledSqliteConnection writer)
    {
        if (!ReferenceEquals(writer.Batch, this))
        {
            return;
        }

        writer.Batch = null;
        Exception? error = null;
        var committedOk = false;
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(writer.Connection.Handle) != 0)
            {
                error = new InvalidOperationException("SQLite rolled the write batch back before its commit; nothing in it was kept.");
            }
            else
            {
                transaction.Commit();
                committedOk = true;
            }
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
        {
            if (e is SqliteException sqlite)
            {
                writer.NoteError(sqlite);
            }

            error = e;
        }
        finally
        {
            DisposeQuietly();
            // Whatever was thrown, no unit is left waiting for a batch that has ended.
            Complete(committedOk ? null : error ?? new InvalidOperationException("The write batch did not commit; nothing in it was kept."));
        }
    }

    /// <summary>The writer is going away with the batch open (closing it rolls SQLite's transaction back): every committed unit fails.</summary>
    public void Abandon() => Complete(new InvalidOperationException("The database connection closed before the write batch committed; nothing in it was kept."));

    private void Abort(PooledSqliteConnection writer, Exception cause)
    {
        writer.Batch = null;
        DisposeQuietly(); // rolls back what is still open
        Complete(cause);
    }

    private void DisposeQuietly()
    {
        try
        {
            transaction.Dispose();
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
        {
            // The connection is marked (NoteError) or already rolled back; the units are failed by the caller.
        }
    }

    private Task Join(bool rolledBack)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (waiting ??= []).Add((done, rolledBack));
        return done.Task;
    }

    private void Complete(Exception? error)
    {
        var units = waiting;
        waiting = null;
        if (units is null)
        {
            return;
        }

        foreach (var (done, rolledBack) in units)
        {
            if (error is null || rolledBack)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(error);
            }
        }
    }

    private void Run(PooledSqliteConnection writer, string sql)
    {
        var command = writer.Rent(sql);
        var ok = false;
        try
        {
            command.Transaction = transaction;
            command.ExecuteNonQuery();
            ok = true;
        }
        finally
        {
            writer.Return(command, ok);
        }
    }
}
