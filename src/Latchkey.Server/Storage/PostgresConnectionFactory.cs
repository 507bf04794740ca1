using System.Data.Common;
using Npgsql;

namespace Latchkey.Server.Storage;

/// <summary>PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>: the engine for several server instances.</summary>
public sealed class PostgresConnectionFactory : IDbConnectionFactory, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;

    public PostgresConnectionFactory(string connectionString)
    {
        dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public DatabaseEngine Engine => DatabaseEngine.Postgres;

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        return new MeteredDbConnection(await dataSource.OpenConnectionAsync(cancellationToken), "postgres", started);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
