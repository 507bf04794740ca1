using System.Collections;
using System.Data.Common;
using Dapper;

namespace Latchkey.Server.Storage;

/// <summary>
/// One write transaction that several repositories take part in, so a change and everything it implies commit
/// together: one commit (on SQLite with <c>synchronous = FULL</c>, one fsync) instead of one per statement. Repository
/// methods that take a <see cref="WriteTransaction"/> write through it and never commit; the caller commits once.
/// Disposing without <see cref="CommitAsync"/> rolls everything back. On SQLite, beginning it waits its turn at the
/// one-writer gate (<see cref="SqliteConnectionFactory"/>), so even a single write queues instead of meeting SQLite's
/// busy handler.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly DatabaseEngine engine;
    private readonly CancellationToken cancellationToken;
    private (string Sql, object? Parameters)? atCommit;
    private bool committed;
    private bool disposed;

    private WriteTransaction(DbConnection connection, DbTransaction transaction, DatabaseEngine engine, CancellationToken cancellationToken)
    {
        this.connection = connection;
        this.transaction = transaction;
        this.engine = engine;
        this.cancellationToken = cancellationToken;
    }

    public static async Task<WriteTransaction> BeginAsync(IDbConnectionFactory db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var c = await db.OpenAsync(cancellationToken);
        try
        {
            return new WriteTransaction(c, await c.BeginTransactionAsync(cancellationToken), db.Engine, cancellationToken);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await SendAtCommitWriteAsync();
        return await connection.ExecuteAsync(Command(sql, parameters));
    }

    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? parameters = null)
    {
        await SendAtCommitWriteAsync();
        return await connection.QuerySingleOrDefaultAsync<T>(Command(sql, parameters));
    }

    /// <summary>Several statements as one command: one round trip to PostgreSQL.</summary>
    public async Task<SqlMapper.GridReader> QueryMultipleAsync(string sql, object? parameters = null)
    {
        await SendAtCommitWriteAsync();
        return await connection.QueryMultipleAsync(Command(sql, parameters));
    }

    /// <summary>
    /// A write whose outcome nothing waits for before the commit (a new row, an event): it goes to the database with
    /// whatever this transaction sends next, and when that is the commit, on PostgreSQL in the same command as the
    /// <c>COMMIT</c> — one round trip where an immediate write and its commit take two, each a wake-up of both
    /// processes. Statements still run in the order they were written (anything else sent through this transaction
    /// sends it first), an error in it surfaces from that call or from <see cref="CommitAsync"/> and rolls the whole
    /// transaction back, and disposing without a commit never sends it. One statement text run once: parameters that
    /// are a list (Dapper would run the command once per element, committing after the first) are refused.
    /// </summary>
    public async Task WriteAtCommitAsync(string sql, object? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        // Dapper's own test for "run the command once per element".
        if (parameters is IEnumerable and not (string or IEnumerable<KeyValuePair<string, object>> or SqlMapper.IDynamicParameters))
        {
            throw new ArgumentException("A write at commit runs once; write a list with ExecuteAsync.", nameof(parameters));
        }

        await SendAtCommitWriteAsync();
        atCommit = (sql, parameters);
    }

    /// <summary>Not cancellable: once the decision is made, it is recorded even if the caller has gone away.</summary>
    public async Task CommitAsync()
    {
        ThrowIfEnded();
        committed = true; // even if the commit fails: the transaction is over either way, and disposal rolls back what is left
        if (atCommit is { } last)
        {
            atCommit = null;
            if (engine == DatabaseEngine.Postgres)
            {
                // The statements and the COMMIT in one command (Npgsql sends it as one batch, one Sync). If a statement
                // fails, PostgreSQL skips the rest up to the Sync, the COMMIT with it, and disposing rolls back; once the
                // COMMIT has run the transaction is complete and Npgsql's transaction object has nothing left to do.
                // The line break ends a trailing line comment before the statement's terminator.
                await connection.ExecuteAsync(new CommandDefinition(last.Sql.TrimEnd().TrimEnd(';') + "\n;COMMIT;", last.Parameters, transaction, cancellationToken: CancellationToken.None));
                return;
            }

            await connection.ExecuteAsync(new CommandDefinition(last.Sql, last.Parameters, transaction, cancellationToken: CancellationToken.None));
        }

        await transaction.CommitAsync(CancellationToken.None);
    }

    /// <summary>
    /// Rolls back unless committed, and gives the connection back — once: a second disposal must not reach the
    /// provider's transaction again, since Npgsql reuses one transaction object per connection and by then the
    /// connection may carry another request's transaction, which a second rollback would undo.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        atCommit = null;
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    private async Task SendAtCommitWriteAsync()
    {
        ThrowIfEnded();
        if (atCommit is { } earlier)
        {
            atCommit = null;
            await connection.ExecuteAsync(Command(earlier.Sql, earlier.Parameters));
        }
    }

    // Nothing goes through a transaction after its commit (a write held for it would otherwise be dropped unsaid).
    private void ThrowIfEnded()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (committed)
        {
            throw new InvalidOperationException("This transaction has already committed.");
        }
    }

    private CommandDefinition Command(string sql, object? parameters) => new(sql, parameters, transaction, cancellationToken: cancellationToken);
}
