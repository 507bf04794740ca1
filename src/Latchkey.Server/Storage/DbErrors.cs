using Microsoft.Data.Sqlite;
using Npgsql;

namespace Latchkey.Server.Storage;

public static class DbErrors
{
    /// <summary>
    /// True when the database cannot be reached or opened right now (server down, connection refused or reset, pool
    /// exhausted, SQLite file missing or locked): a condition to report as 503 and retry, not a bug.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Class 08 connection exceptions, 57P01-57P03 shutdown / cannot connect now, 53300 too many connections.
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "53300":
                    return true;
                case PostgresException:
                    return false;
                // Any other Npgsql failure is about the connection (a server error would be a PostgresException).
                case NpgsqlException:
                    return true;
                // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PERM.
                case SqliteException s when s.SqliteErrorCode is 3 or 5 or 6 or 10 or 14:
                    return true;
            }
        }

        return false;
    }

    /// <summary>True for a UNIQUE or PRIMARY KEY violation on either engine.</summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && (s.SqliteExtendedErrorCode == 2067 || s.SqliteExtendedErrorCode == 1555),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
