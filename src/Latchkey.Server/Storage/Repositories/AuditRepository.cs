using System.Text;
using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class AuditRepository(IDbConnectionFactory db)
{
    internal const string InsertSql =
        "INSERT INTO audit_events (occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail) VALUES (@OccurredAt, @EventType, @UserId, @WorkspaceId, @ClientId, @IpAddress, @Detail)";

    public async Task AppendAsync(AuditEventRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(InsertSql, row, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// PostgreSQL: a whole batch as one statement over arrays, in the batch's order (the identity follows it). Run per
    /// row, each row was a round trip of its own — up to 512 a batch, a wake-up of both processes each.
    /// </summary>
    private const string InsertBatchPostgresSql =
        "INSERT INTO audit_events (occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail) " +
        "SELECT o, t, u, w, c, i, d FROM unnest(@OccurredAt, @EventType, @UserId, @WorkspaceId, @ClientId, @IpAddress, @Detail) " +
        "WITH ORDINALITY AS e(o, t, u, w, c, i, d, n) ORDER BY n";

    /// <summary>
    /// Several events in one transaction (one commit), for the background writer's batches. On PostgreSQL one statement
    /// sent with the commit: one round trip for the batch. On SQLite the one compiled insert runs per row on the writer
    /// connection, in process, where a row costs no round trip.
    /// </summary>
    public async Task AppendBatchAsync(IReadOnlyList<AuditEventRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        if (db.Engine == DatabaseEngine.Postgres)
        {
            await tx.WriteAtCommitAsync(InsertBatchPostgresSql, new
            {
                OccurredAt = rows.Select(r => r.OccurredAt).ToArray(),
                EventType = rows.Select(r => r.EventType).ToArray(),
                UserId = rows.Select(r => r.UserId).ToArray(),
                WorkspaceId = rows.Select(r => r.WorkspaceId).ToArray(),
                ClientId = rows.Select(r => r.ClientId).ToArray(),
                IpAddress = rows.Select(r => r.IpAddress).ToArray(),
                Detail = rows.Select(r => r.Detail).ToArray(),
            });
        }
        else
        {
            await tx.ExecuteAsync(InsertSql, rows);
        }

        await tx.CommitAsync();
    }

    /// <summary>
    /// An event written inside the caller's transaction, so it commits (or not) with the change it records; written at
    /// the commit (on PostgreSQL in the same round trip) when nothing follows it.
    /// </summary>
    public Task AppendAsync(WriteTransaction tx, AuditEventRow row)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.WriteAtCommitAsync(InsertSql, row);
    }

    public Task<IReadOnlyList<AuditEventRow>> QueryAsync(string? eventType, string? userId, int limit, CancellationToken cancellationToken)
        => SearchAsync(new AuditQuery { EventType = eventType, UserId = userId, Limit = limit }, cancellationToken);

    /// <summary>
    /// Events newest first. With a workspace, the workspace's own events plus its members' account-level events
    /// (sign-ins, MFA), which carry no workspace.
    /// </summary>
    public async Task<IReadOnlyList<AuditEventRow>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder(
            "SELECT e.id, e.occurred_at, e.event_type, e.user_id, e.workspace_id, e.client_id, e.ip_address, e.detail, u.email AS user_email FROM audit_events e LEFT JOIN users u ON u.id = e.user_id WHERE 1 = 1");
        if (query.WorkspaceId is not null)
        {
            sql.Append(" AND (e.workspace_id = @WorkspaceId OR (e.workspace_id IS NULL AND e.user_id IN (SELECT m.user_id FROM workspace_members m WHERE m.workspace_id = @WorkspaceId)))");
        }

        if (query.EventType is not null)
        {
            // "access_token." matches the whole family; otherwise the exact type.
            sql.Append(query.EventType.EndsWith('.') ? " AND e.event_type LIKE @EventTypePrefix ESCAPE '\\'" : " AND e.event_type = @EventType");
        }

        if (query.UserId is not null)
        {
            sql.Append(" AND e.user_id = @UserId");
        }

        if (query.Text is not null)
        {
            sql.Append(" AND (LOWER(e.event_type) LIKE @TextPattern ESCAPE '\\' OR LOWER(COALESCE(e.detail, '')) LIKE @TextPattern ESCAPE '\\' OR LOWER(COALESCE(u.email, '')) LIKE @TextPattern ESCAPE '\\' OR COALESCE(e.ip_address, '') LIKE @TextPattern ESCAPE '\\' OR COALESCE(e.client_id, '') LIKE @TextPattern ESCAPE '\\')");
        }

        if (query.From is not null)
        {
            sql.Append(" AND e.occurred_at >= @From");
        }

        if (query.To is not null)
        {
            sql.Append(" AND e.occurred_at < @To");
        }

        if (query.BeforeId is not null)
        {
            sql.Append(" AND e.id < @BeforeId");
        }

        sql.Append(" ORDER BY e.id DESC LIMIT @Limit");
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<AuditEventRow>(new CommandDefinition(
            sql.ToString(),
            new
            {
                query.WorkspaceId,
                query.EventType,
                EventTypePrefix = EscapeLike(query.EventType ?? string.Empty) + "%",
                query.UserId,
                TextPattern = "%" + EscapeLike((query.Text ?? string.Empty).ToLowerInvariant()) + "%",
                query.From,
                query.To,
                query.BeforeId,
                Limit = (long)query.Limit,
            },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Deletes events older than the cutoff: one workspace's, or (null) those of workspaces without their own setting and account-level ones.</summary>
    public async Task<int> DeleteOlderThanAsync(string? workspaceId, long cutoff, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            workspaceId is null
                ? "DELETE FROM audit_events WHERE occurred_at < @cutoff AND (workspace_id IS NULL OR workspace_id IN (SELECT id FROM workspaces WHERE audit_retention_days IS NULL))"
                : "DELETE FROM audit_events WHERE occurred_at < @cutoff AND workspace_id = @workspaceId",
            new { workspaceId, cutoff }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes one workspace's gateway usage records made with API keys older than the cutoff.</summary>
    public async Task<int> DeleteApiUsageOlderThanAsync(string workspaceId, long cutoff, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM audit_events WHERE occurred_at < @cutoff AND workspace_id = @workspaceId AND event_type = 'gateway.request' AND client_id = 'api_key'",
            new { workspaceId, cutoff }, cancellationToken: cancellationToken));
    }

    private static string EscapeLike(string value)
        => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}

public sealed record AuditQuery
{
    public string? WorkspaceId { get; init; }

    public string? EventType { get; init; }

    public string? UserId { get; init; }

    public string? Text { get; init; }

    public long? From { get; init; }

    public long? To { get; init; }

    public long? BeforeId { get; init; }

    public int Limit { get; init; } = 100;
}
