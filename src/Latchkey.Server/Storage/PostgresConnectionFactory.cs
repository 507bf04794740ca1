using System.Data.Common;
using Npgsql;

namespace Latchkey.Server.Storage;

/// <summary>PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>: the engine for several server instances.</summary>
public sealed class PostgresConnectionFactory : IDbConnectionFactory, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;

    public PostgresConnectionFactory(string connectionString)
    {
        dataSource = NpgsqlDataSource.Create(WithServerDefaults(connectionString));
    }

    /// <summary>
    /// The operator's connection string, with automatic preparation on unless it says otherwise: the server's statements
    /// are a fixed set run thousands of times, so each pooled connection prepares a statement after its second use and
    /// PostgreSQL parses and plans it once instead of on every request (refresh 312 → 632 req/s, userinfo 2,039 →
    /// 3,024 in one bench run: bench/README.md). An operator's own "Max Auto Prepare", 0 included, wins.
    /// </summary>
    public static string WithServerDefaults(string connectionString)
    {
        // Present in the string, even as 0, is the operator's choice (0 turns it off, e.g. behind PgBouncer in transaction
        // mode before 1.21); NpgsqlConnectionStringBuilder cannot tell "0" from "not set", the plain builder can.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!written.ContainsKey("Max Auto Prepare") && !written.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 128;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    public DatabaseEngine Engine => DatabaseEngine.Postgres;

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        return new MeteredDbConnection(await dataSource.OpenConnectionAsync(cancellationToken), "postgres", started);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
