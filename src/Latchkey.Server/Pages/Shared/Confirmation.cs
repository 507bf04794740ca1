using Microsoft.AspNetCore.Http.Extensions;

namespace Latchkey.Server.Pages;

/// <summary>
/// The question asked before a destructive action (revoke, remove, delete). A GET with `confirm=…` renders it; its
/// form posts to <paramref name="Handler"/> with `confirm=yes`. A handler posted without `confirm=yes` changes
/// nothing and redirects here, so one stray click never acts and no JavaScript is needed.
/// </summary>
public sealed record Confirmation(string Handler, string Question, string Consequence, string Button, IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>
    /// Null when the form said `confirm=yes`; otherwise the URL of this page's GET that asks <paramref name="ask"/>,
    /// carrying the ids the action needs (the handler then redirects there and changes nothing).
    /// </summary>
    public static string? AskFirst(string? confirm, PathString page, string ask, params (string Name, string? Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (confirm == "yes")
        {
            return null;
        }

        var q = new QueryBuilder { { "confirm", ask } };
        foreach (var (name, value) in fields)
        {
            q.Add(name, value ?? string.Empty);
        }

        return page + q.ToQueryString().Value;
    }
}
