using Latchkey.Server.Storage;
using Npgsql;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database for one test: a temporary SQLite file, or a new PostgreSQL database on the cluster
/// named by LATCHKEY_TEST_POSTGRES. When that variable is missing the PostgreSQL tests skip locally, and fail
/// in CI (CI=true), where they must run.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? postgresAdmin;
    private readonly string? postgresName;
    private readonly string? sqliteDirectory;
    private readonly List<IAsyncDisposable> factories = [];

    private TestDatabase(DatabaseEngine engine, string connectionString, string? postgresAdmin, string? postgresName, string? sqliteDirectory)
    {
        Engine = engine;
        ConnectionString = connectionString;
        this.postgresAdmin = postgresAdmin;
        this.postgresName = postgresName;
        this.sqliteDirectory = sqliteDirectory;
    }

    public DatabaseEngine Engine { get; }

    public string ConnectionString { get; }

    public string Provider => Engine == DatabaseEngine.Sqlite ? "sqlite" : "postgres";

    public static async Task<TestDatabase> CreateAsync(DatabaseEngine engine)
    {
        if (engine == DatabaseEngine.Sqlite)
        {
            var dir = Directory.CreateTempSubdirectory("latchkey-test-").FullName;
            return new TestDatabase(engine, $"Data Source={Path.Combine(dir, "latchkey.db")}", null, null, dir);
        }

        var admin = Environment.GetEnvironmentVariable("LATCHKEY_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(admin))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("LATCHKEY_TEST_POSTGRES is not set: in CI the PostgreSQL tests must run. scripts/test.sh starts a cluster.");
            }

            Assert.Skip("LATCHKEY_TEST_POSTGRES is not set; run scripts/test-postgres.sh start and export it, or use scripts/test.sh to run PostgreSQL tests.");
        }

        var name = "lk_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(engine, builder.ConnectionString, admin, name, null);
    }

    /// <summary>A factory on this database, as the server makes it; closed (its pooled connections with it) on dispose.</summary>
    public IDbConnectionFactory CreateFactory()
    {
        IDbConnectionFactory factory = Engine == DatabaseEngine.Sqlite ? new SqliteConnectionFactory(ConnectionString) : new PostgresConnectionFactory(ConnectionString);
        lock (factories)
        {
            factories.Add((IAsyncDisposable)factory);
        }

        return factory;
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] made;
        lock (factories)
        {
            made = [.. factories];
        }

        foreach (var factory in made)
        {
            await factory.DisposeAsync();
        }

        if (postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(postgresAdmin);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {postgresName} WITH (FORCE)", c);
            await cmd.ExecuteNonQueryAsync();
        }

        if (sqliteDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(sqliteDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A pooled handle may linger a moment; the OS temp cleaner gets it.
            }
        }
    }
}
