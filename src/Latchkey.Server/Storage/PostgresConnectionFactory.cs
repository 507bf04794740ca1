using System.Data.Common;
using Npgsql;

namespace Latchkey.Server.Storage;

/// <summary>PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>: the engine for several server instances.</summary>
public sealed class PostgresConnectionFactory : IDbConnectionFactory, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;

    // A pool of its own, of one connection, for IDbConnectionFactory.OpenOutsidePool: never waiting on the request pool,
    // and not a new backend per use either (a source without a pool would start one for every key-ring read, which a
    // client can provoke in the first minutes after start by sending payloads under unknown key ids).
    private readonly NpgsqlDataSource outsidePool;

    public PostgresConnectionFactory(string connectionString)
    {
        var withDefaults = WithServerDefaults(connectionString);
        // Same server, credentials and TLS; one connection (the operator's minimum cannot apply to it), no multiplexing
        // and nothing to prepare for: its few statements run rarely.
        outsidePool = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(withDefaults)
        {
            Pooling = true, MinPoolSize = 0, MaxPoolSize = 1, Multiplexing = false, MaxAutoPrepare = 0,
        }.ConnectionString);
        dataSource = NpgsqlDataSource.Create(withDefaults);
    }

    /// <summary>
    /// The operator's connection string, with three defaults for what it does not say (an operator's own value, 0 or
    /// false included, always wins):
    /// <list type="bullet">
    /// <item>Automatic preparation: the server's statements are a fixed set run thousands of times, so each pooled
    /// connection prepares a statement after its second use and PostgreSQL parses and plans it once instead of on every
    /// request (refresh 312 → 632 req/s, userinfo 2,039 → 3,024 in one bench run: bench/README.md).</item>
    /// <item>The pool: <see cref="DefaultMaxPoolSize"/> connections rather than Npgsql's 100. Requests beyond it wait
    /// in this process for a free connection (Npgsql's <c>Timeout</c>, 15 s) instead of becoming more PostgreSQL
    /// backends fighting over the same cores and row locks.</item>
    /// <item>No reset round when a connection goes back to the pool (<c>No Reset On Close</c>). With prepared
    /// statements Npgsql cannot send <c>DISCARD ALL</c>, so it prepends seven simple-protocol statements (<c>SET SESSION
    /// AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD SEQUENCES;
    /// DISCARD TEMP</c>) to the next use: PostgreSQL parses and runs them on every request, for state this server never
    /// creates — it sets no session parameter, listens to nothing, takes only transaction-scoped advisory locks and makes
    /// no temporary tables (a test reads every statement in the server for that). An unfinished transaction is still
    /// rolled back before the connection is reused: Npgsql does that whatever this setting says.</item>
    /// </list>
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

        // Npgsql writes back only what was set, under the property's own name whatever synonym the operator used.
        var stated = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = new NpgsqlConnectionStringBuilder(connectionString).ConnectionString };
        if (!stated.ContainsKey("Maximum Pool Size"))
        {
            // Never below the operator's own minimum: Npgsql refuses a maximum under it.
            builder.MaxPoolSize = Math.Max(DefaultMaxPoolSize, builder.MinPoolSize);
        }

        if (!stated.ContainsKey("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Connections per instance unless the connection string says otherwise (<see cref="MaxPoolSizeFor"/> of the
    /// processors this process may use).
    /// </summary>
    public static int DefaultMaxPoolSize { get; } = MaxPoolSizeFor(Environment.ProcessorCount);

    /// <summary>
    /// 8 connections per processor, at least 16 and at most Npgsql's 100. A request holds a connection only for its
    /// statements, so a few per core keep PostgreSQL busy; more only add backends contending for the database's cores
    /// and locks. Measured (bench/README.md, seventh and eighth passes; 2 cores, PostgreSQL on the same machine, 64
    /// concurrent refreshes): 16 connections 0.89–1.03× oidc-provider with PostgreSQL spending 0.48–0.57 CPU-ms per
    /// refresh; Npgsql's 100, 0.84× and 0.80. No request path holds one pooled connection while opening another (the
    /// whole server test suite passes on PostgreSQL with a pool of 1, apart from two tests that themselves hold a
    /// connection to race the server; Data Protection's key ring, read from inside a transaction, goes through
    /// <see cref="OpenOutsidePool"/>), so a small pool queues requests and cannot deadlock them.
    /// </summary>
    public static int MaxPoolSizeFor(int processors) => Math.Clamp(processors * 8, 16, 100);

    public DatabaseEngine Engine => DatabaseEngine.Postgres;

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        return new MeteredDbConnection(await dataSource.OpenConnectionAsync(cancellationToken), "postgres", started);
    }

    public DbConnection OpenOutsidePool()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        return new MeteredDbConnection(outsidePool.OpenConnection(), "postgres", started);
    }

    public async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await outsidePool.DisposeAsync();
    }
}
