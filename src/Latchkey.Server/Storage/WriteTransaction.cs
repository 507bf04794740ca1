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
    private readonly CancellationToken cancellationToken;

    private WriteTransaction(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        this.connection = connection;
        this.transaction = transaction;
        this.cancellationToken = cancellationToken;
    }

    public static async Task<WriteTransaction> BeginAsync(IDbConnectionFactory db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var c = await db.OpenAsync(cancellationToken);
        try
        {
            return new WriteTransaction(c, await c.BeginTransactionAsync(cancellationToken), cancellationToken);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public Task<int> ExecuteAsync(string sql, object? parameters = null)
        => connection.ExecuteAsync(Command(sql, parameters));

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? parameters = null)
        => connection.QuerySingleOrDefaultAsync<T>(Command(sql, parameters));

    /// <summary>Several statements as one command: one round trip to PostgreSQL.</summary>
    public Task<SqlMapper.GridReader> QueryMultipleAsync(string sql, object? parameters = null)
        => connection.QueryMultipleAsync(Command(sql, parameters));

    /// <summary>Not cancellable: once the decision is made, it is recorded even if the caller has gone away.</summary>
    public Task CommitAsync() => transaction.CommitAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    private CommandDefinition Command(string sql, object? parameters) => new(sql, parameters, transaction, cancellationToken: cancellationToken);
}
