using Microsoft.Data.Sqlite;
using Npgsql;

namespace Latchkey.Server.Storage;

public static class DbErrors
{
    /// <summary>True for a UNIQUE or PRIMARY KEY violation on either engine.</summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && (s.SqliteExtendedErrorCode == 2067 || s.SqliteExtendedErrorCode == 1555),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
