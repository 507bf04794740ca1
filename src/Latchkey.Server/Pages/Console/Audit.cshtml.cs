using Latchkey.Server.Api;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class AuditModel(AuditSearch audit) : ConsolePageModel
{
    public IReadOnlyList<AuditEventRow> Events { get; private set; } = [];

    public string? OlderUrl { get; private set; }

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ReadAuditLog;

    public string ExportUrl(string format)
    {
        var q = new QueryBuilder(Request.Query.Where(kv => kv.Key is not ("before" or "limit" or "handler" or "format")).SelectMany(kv => kv.Value.Select(v => KeyValuePair.Create(kv.Key, v ?? string.Empty))))
        {
            { "handler", "export" },
            { "format", format },
        };
        return Request.Path + q.ToQueryString().Value;
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var (query, error) = await audit.ParseAsync(Access, Request.Query, cancellationToken);
        if (query is null)
        {
            return Refused(error!);
        }

        Events = await audit.SearchAsync(query, cancellationToken);
        if (Events.Count == query.Limit)
        {
            var q = new QueryBuilder(Request.Query.Where(kv => kv.Key != "before").SelectMany(kv => kv.Value.Select(v => KeyValuePair.Create(kv.Key, v ?? string.Empty))))
            {
                { "before", Events[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            OlderUrl = Request.Path + q.ToQueryString().Value;
        }

        return Page();
    }

    public async Task<IActionResult> OnGetExportAsync(string? format, CancellationToken cancellationToken)
    {
        var (query, error) = await audit.ParseAsync(Access, Request.Query, cancellationToken);
        if (query is null || format is not ("csv" or "json"))
        {
            return Refused(error ?? ServiceError.Invalid("format", "format must be csv or json."));
        }

        await audit.WriteExportAsync(Response, query with { Limit = int.MaxValue }, format, $"latchkey-audit-{WorkspaceId}", cancellationToken);
        return new EmptyResult();
    }
}
