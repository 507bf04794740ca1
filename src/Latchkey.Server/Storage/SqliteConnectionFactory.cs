using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Storage;

/// <summary>Embedded SQLite (WAL mode, foreign keys on, waits rather than failing when another writer holds the lock).</summary>
public sealed class SqliteConnectionFactory : IDbConnectionFactory
{
    private static int initialized;
    private readonly string connectionString;

    public SqliteConnectionFactory(string connectionString)
    {
        if (Interlocked.Exchange(ref initialized, 1) == 0)
        {
            SQLitePCL.Batteries_V2.Init();
        }

        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        this.connectionString = builder.ToString();
        DataSource = builder.DataSource;
        if (builder.Mode != SqliteOpenMode.Memory)
        {
            OwnerOnlyFiles.PrepareSqliteFiles(DataSource);
        }
    }

    public DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public string DataSource { get; }

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
