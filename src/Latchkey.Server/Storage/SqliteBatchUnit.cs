using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>
/// The transaction a SQLite write hands its caller: one unit of the writer's open batch (<see cref="SqliteWriteBatch"/>).
/// To the caller it is an ordinary transaction — commands run in it, <see cref="CommitAsync"/> returns once the work is
/// durable, rollback or disposal without a commit undoes it — while its COMMIT is shared with the units around it.
/// </summary>
internal sealed class SqliteBatchUnit(MeteredDbConnection owner, SqliteWriteBatch batch, PooledSqliteConnection writer) : DbTransaction
{
    private bool ended;

    /// <summary>The batch's SQLite transaction, which commands in this unit run under.</summary>
    public SqliteTransaction Provider
        => ended ? throw new InvalidOperationException("This transaction has completed; it is no longer usable.") : batch.Transaction;

    public SqliteWriteBatch Batch => batch;

    public PooledSqliteConnection Writer => writer;

    public bool IsOpen => !ended;

    public override IsolationLevel IsolationLevel => IsolationLevel.Serializable;

    protected override DbConnection? DbConnection => ended ? null : owner;

    /// <summary>Returns when the batch holding this unit has committed (or throws its failure).</summary>
    public override Task CommitAsync(CancellationToken cancellationToken = default) => End(commit: true);

    public override void Commit() => End(commit: true).GetAwaiter().GetResult();

    public override Task RollbackAsync(CancellationToken cancellationToken = default) => End(commit: false);

    public override void Rollback() => End(commit: false).GetAwaiter().GetResult();

    /// <summary>Disposal without a commit rolls back, and (like <see cref="RollbackAsync"/>) returns once the batch has ended.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (!ended)
        {
            await End(commit: false);
        }

        await base.DisposeAsync();
    }

    // Synchronous disposal (a connection disposed with its unit still open) undoes the unit without waiting for the batch.
    protected override void Dispose(bool disposing)
    {
        if (disposing && !ended)
        {
            End(commit: false);
        }

        base.Dispose(disposing);
    }

    private Task End(bool commit)
    {
        if (ended)
        {
            throw new InvalidOperationException("This transaction has completed; it is no longer usable.");
        }

        ended = true;
        return owner.EndUnit(this, commit);
    }
}
