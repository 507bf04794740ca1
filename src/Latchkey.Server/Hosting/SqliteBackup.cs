using Dapper;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Hosting;

/// <summary>
/// `backup &lt;file&gt;`: an online copy of the SQLite database while the server keeps serving. `VACUUM INTO` reads one
/// consistent snapshot (a WAL read transaction: writers go on) and writes a compact, self-contained file. The copy
/// holds only digests and encrypted secrets, but is still created owner-only (0600).
/// </summary>
public static class SqliteBackup
{
    public static async Task<int> RunAsync(IDbConnectionFactory connections, string? target, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (connections.Engine != DatabaseEngine.Sqlite)
        {
            await error.WriteLineAsync("backup copies the embedded SQLite database. For PostgreSQL use pg_dump (see docs/operations.md).");
            return 1;
        }

        if (string.IsNullOrWhiteSpace(target))
        {
            await error.WriteLineAsync("Usage: Latchkey.Server backup <file> [settings]");
            return 2;
        }

        // Empty counts as absent: the connection factory makes the file (owner-only, before SQLite can make it with the
        // umask's mode) as soon as it exists, so a data directory without a database holds a 0-byte latchkey.db.
        if (connections is SqliteConnectionFactory sqlite && (!File.Exists(sqlite.DataSource) || new FileInfo(sqlite.DataSource).Length == 0))
        {
            await error.WriteLineAsync($"There is no database at {sqlite.DataSource}: check --data-dir or the connection string.");
            return 1;
        }

        var path = Path.GetFullPath(target);
        if (File.Exists(path) || Directory.Exists(path))
        {
            await error.WriteLineAsync($"{path} already exists: choose a new file name (a backup never overwrites).");
            return 1;
        }

        // SQLite accepts an empty existing file; creating it first fixes the mode before any byte is written.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using (new FileStream(path, options))
            {
            }

            await using var connection = await connections.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("VACUUM INTO @path", new { path }, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            TryDelete(path);
            await error.WriteLineAsync($"Backup failed: {ex.Message}");
            return 1;
        }

        await output.WriteLineAsync($"Backed up the database to {path} ({new FileInfo(path).Length} bytes). Keep the data protection key with it (docs/operations.md).");
        return 0;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
