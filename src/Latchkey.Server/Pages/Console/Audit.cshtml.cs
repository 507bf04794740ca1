using Latchkey.Server.Api;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class AuditModel(AuditSearch audit, WorkspaceRepository workspaces, UserRepository users, AccessTokenRepository tokens, ApiKeyRepository keys, ClientRegistry clients) : ConsolePageModel
{
    public IReadOnlyList<AuditEventRow> Events { get; private set; } = [];

    public string? OlderUrl { get; private set; }

    public AuditNames Names { get; private set; } = new();

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
        Names = await NamesAsync(cancellationToken);
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

    /// <summary>Names for the ids on this page: members, then anyone else the events mention (people who left).</summary>
    private async Task<AuditNames> NamesAsync(CancellationToken cancellationToken)
    {
        var people = (await workspaces.ListMembersAsync(WorkspaceId, cancellationToken)).ToDictionary(m => m.UserId, m => m.Email);
        foreach (var e in Events.Where(e => e.UserId is not null && e.UserEmail is not null))
        {
            people.TryAdd(e.UserId!, e.UserEmail!);
        }

        foreach (var id in Events.Select(e => e.Detail).OfType<string>().SelectMany(MentionedPeople).Distinct().Where(id => !people.ContainsKey(id)).Take(50))
        {
            if (await users.FindByIdAsync(id, cancellationToken) is { } user)
            {
                people[id] = user.Email;
            }
        }

        return new AuditNames
        {
            People = people,
            Tokens = (await tokens.ListAsync(WorkspaceId, null, cancellationToken)).ToDictionary(t => t.Id, t => t.Name),
            Keys = (await keys.ListAsync(WorkspaceId, cancellationToken)).ToDictionary(k => k.Id, k => k.Name),
            Roles = (await workspaces.ListRolesAsync(WorkspaceId, cancellationToken)).ToDictionary(r => r.Id, r => r.Name),
            Client = id => clients.Find(id)?.DisplayName,
        };
    }

    private static IEnumerable<string> MentionedPeople(string detail)
    {
        System.Text.Json.Nodes.JsonObject? node;
        try
        {
            node = System.Text.Json.Nodes.JsonNode.Parse(detail) as System.Text.Json.Nodes.JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }

        foreach (var key in new[] { "member_id", "creator_id" })
        {
            if (node?[key] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var id))
            {
                yield return id;
            }
        }
    }
}
