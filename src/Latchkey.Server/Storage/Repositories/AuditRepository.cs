using System.Text;
using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class AuditRepository(IDbConnectionFactory db)
{
    public async Task AppendAsync(AuditEventRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO audit_events (occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail) VALUES (@OccurredAt, @EventType, @UserId, @WorkspaceId, @ClientId, @IpAddress, @Detail)",
            row, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<AuditEventRow>> QueryAsync(string? eventType, string? userId, int limit, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT id, occurred_at, event_type, user_id, workspace_id, client_id, ip_address, detail FROM audit_events WHERE 1 = 1");
        if (eventType is not null)
        {
            sql.Append(" AND event_type = @eventType");
        }

        if (userId is not null)
        {
            sql.Append(" AND user_id = @userId");
        }

        sql.Append(" ORDER BY id DESC LIMIT @limit");
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<AuditEventRow>(new CommandDefinition(sql.ToString(), new { eventType, userId, limit = (long)limit }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
