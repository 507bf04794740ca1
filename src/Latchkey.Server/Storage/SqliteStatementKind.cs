using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Latchkey.Server.Storage;

/// <summary>
/// Whether a SQL text may write: any INSERT, UPDATE, DELETE, REPLACE or schema change in it, as a whole word. The
/// server's SQL is its own fixed text; a false "writes" (a read calling <c>replace()</c>) only makes a read wait a turn,
/// which costs little, while a write that skipped its turn would meet an open batch's lock in SQLite's busy handler.
/// </summary>
internal static partial class SqliteStatementKind
{
    // Per distinct text; bounded so that SQL built at run time (IN lists) cannot grow it without end.
    private const int MaxKnown = 1024;
    private static readonly ConcurrentDictionary<string, bool> Known = new(StringComparer.Ordinal);

    public static bool Writes(string sql)
    {
        if (Known.TryGetValue(sql, out var writes))
        {
            return writes;
        }

        writes = WritingKeyword().IsMatch(sql);
        if (Known.Count < MaxKnown)
        {
            Known.TryAdd(sql, writes);
        }

        return writes;
    }

    [GeneratedRegex(@"\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WritingKeyword();
}
