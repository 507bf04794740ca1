using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Latchkey.Server.Storage;

/// <summary>
/// Applies the numbered SQL files under Storage/Migrations/{engine} in order, each in its own transaction,
/// and records them in schema_migrations. Safe to run from several instances at once: SQLite takes the write
/// lock up front, PostgreSQL an advisory lock.
/// </summary>
public sealed partial class SchemaMigrator(IDbConnectionFactory connections, ILogger<SchemaMigrator> logger)
{
    private const long PostgresAdvisoryLockKey = 0x4C617463686B6579; // "Latchkey"

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        await using var connection = await connections.OpenAsync(cancellationToken);
        if (connections.Engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers proceed during a write; it is a property of the database file.
            await connection.ExecuteAsync("PRAGMA journal_mode = WAL;");
        }

        foreach (var migration in LoadMigrations(connections.Engine))
        {
            await using var transaction = await BeginLockedAsync(connection, cancellationToken);
            await connection.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                transaction: transaction);
            var done = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @version",
                new { version = migration.Version },
                transaction);
            if (done > 0)
            {
                await transaction.CommitAsync(cancellationToken);
                continue;
            }

            await connection.ExecuteAsync(migration.Sql, transaction: transaction);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @now)",
                new { version = migration.Version, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction);
            await transaction.CommitAsync(cancellationToken);
            LogApplied(logger, migration.Version, connections.Engine);
            applied.Add(migration.Version);
        }

        return applied;
    }

    /// <summary>The migrations this build has that the database has not recorded: empty when the schema is current.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var tableExists = connections.Engine == DatabaseEngine.Sqlite
            ? await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") > 0
            : await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL");
        var done = tableExists
            ? (await connection.QueryAsync<string>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal)
            : [];
        return LoadMigrations(connections.Engine).Select(m => m.Version).Where(v => !done.Contains(v)).ToList();
    }

    private async Task<DbTransaction> BeginLockedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite starts transactions with BEGIN IMMEDIATE (the write lock up front), so two
        // starting instances cannot both apply a file. PostgreSQL needs an explicit advisory lock.
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (connections.Engine == DatabaseEngine.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = PostgresAdvisoryLockKey }, transaction);
        }

        return transaction;
    }

    internal static IEnumerable<(string Version, string Sql)> LoadMigrations(DatabaseEngine engine)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var folder = engine == DatabaseEngine.Sqlite ? ".sqlite." : ".postgres.";
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.Contains(".Storage.Migrations" + folder, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal);
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var fileName = name[(name.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..];
            yield return (Path.GetFileNameWithoutExtension(fileName), reader.ReadToEnd());
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version} ({Engine})")]
    private static partial void LogApplied(ILogger logger, string version, DatabaseEngine engine);
}
