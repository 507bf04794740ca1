using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Api;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Api;

/// <summary>The audit log as a workspace's owners and admins see it: filters from a query string, pages, and exports.</summary>
public sealed class AuditSearch(AuditRepository repository, UserRepository users)
{
    public const int MaxPage = 500;
    private const int ExportBatch = 1000;

    /// <summary>The filter a request asks for: type, user (email or id), q (free text), from/to (dates, UTC), before (event id), limit.</summary>
    public async Task<(AuditQuery? Query, ServiceError? Error)> ParseAsync(WorkspaceAccess actor, IQueryCollection q, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(q);
        if (actor.Decide(WorkspaceAction.ReadAuditLog).ToError() is { } refused)
        {
            return (null, refused);
        }

        static string? Get(IQueryCollection q, string key) => q.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

        var query = new AuditQuery { WorkspaceId = actor.WorkspaceId, EventType = Get(q, "type"), Text = Get(q, "q") };
        if (query.EventType is { Length: > 100 } || query.Text is { Length: > 200 })
        {
            return (null, ServiceError.Invalid("q", "Search terms must be at most 200 characters (event types 100)."));
        }

        if (Get(q, "user") is { } user)
        {
            var row = user.Contains('@', StringComparison.Ordinal)
                ? await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(user), cancellationToken)
                : await users.FindByIdAsync(user, cancellationToken);
            query = query with { UserId = row?.Id ?? "-none-" };
        }

        if (Get(q, "from") is { } from)
        {
            if (!TryParseDate(from, out var f))
            {
                return (null, ServiceError.Invalid("from", "from must be a date (YYYY-MM-DD) or an RFC 3339 time."));
            }

            query = query with { From = f };
        }

        if (Get(q, "to") is { } to)
        {
            if (!TryParseDate(to, out var t, endOfDay: true))
            {
                return (null, ServiceError.Invalid("to", "to must be a date (YYYY-MM-DD) or an RFC 3339 time."));
            }

            query = query with { To = t };
        }

        if (Get(q, "before") is { } before)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                return (null, ServiceError.Invalid("before", "before must be an event id."));
            }

            query = query with { BeforeId = b };
        }

        var limit = 100;
        if (Get(q, "limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPage))
        {
            return (null, ServiceError.Invalid("limit", $"limit must be between 1 and {MaxPage}."));
        }

        return (query with { Limit = limit }, null);
    }

    public Task<IReadOnlyList<AuditEventRow>> SearchAsync(AuditQuery query, CancellationToken cancellationToken) => repository.SearchAsync(query, cancellationToken);

    /// <summary>Every matching event (no page limit), newest first, in batches so memory stays flat.</summary>
    public async IAsyncEnumerable<AuditEventRow> AllAsync(AuditQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = query with { Limit = ExportBatch };
        while (true)
        {
            var rows = await repository.SearchAsync(page, cancellationToken);
            foreach (var row in rows)
            {
                yield return row;
            }

            if (rows.Count < ExportBatch)
            {
                yield break;
            }

            page = page with { BeforeId = rows[^1].Id };
        }
    }

    /// <summary>Writes the export: `csv` (RFC 4180, cells that a spreadsheet would run as formulas are quoted with a leading ') or `json` (an array).</summary>
    public async Task WriteExportAsync(HttpResponse response, AuditQuery query, string format, string fileStem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileStem}.{format}\"";
        if (format == "csv")
        {
            response.ContentType = "text/csv; charset=utf-8";
            await response.WriteAsync("id,occurred_at,event_type,user_id,user_email,workspace_id,client_id,ip_address,detail\r\n", cancellationToken);
            await foreach (var e in AllAsync(query, cancellationToken))
            {
                var line = string.Join(',', new[] { e.Id.ToString(CultureInfo.InvariantCulture), ApiJson.Time(e.OccurredAt), e.EventType, e.UserId, e.UserEmail, e.WorkspaceId, e.ClientId, e.IpAddress, e.Detail }.Select(Csv));
                await response.WriteAsync(line + "\r\n", cancellationToken);
            }

            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync("[", cancellationToken);
        var first = true;
        await foreach (var e in AllAsync(query, cancellationToken))
        {
            await response.WriteAsync((first ? "\n" : ",\n") + ApiJson.AuditEvent(e).ToJsonString(), cancellationToken);
            first = false;
        }

        await response.WriteAsync("\n]\n", cancellationToken);
    }

    public static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        // CSV injection: a leading =, +, -, @, tab or CR would make a spreadsheet evaluate the cell.
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static bool TryParseDate(string value, out long unixMs, bool endOfDay = false)
    {
        unixMs = 0;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            // "to=9999-12-31" means "up to the end of time": the day after the last representable one is clamped, not an overflow.
            var start = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            unixMs = endOfDay && d == DateOnly.MaxValue ? DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() : (endOfDay ? start.AddDays(1) : start).ToUnixTimeMilliseconds();
            return true;
        }

        if (value.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            unixMs = t.ToUnixTimeMilliseconds();
            return true;
        }

        return false;
    }
}
