using System.Text.Json.Nodes;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Audit;

/// <summary>Writes security events. Callers pass identifiers and reasons only: never a secret, code or token.</summary>
public sealed class AuditLog(AuditRepository repository, TimeProvider time)
{
    public Task WriteAsync(
        string eventType,
        string? userId = null,
        string? workspaceId = null,
        string? clientId = null,
        string? ipAddress = null,
        JsonObject? detail = null,
        CancellationToken cancellationToken = default)
    {
        AuditMetrics.Count(eventType);
        return repository.AppendAsync(
            new AuditEventRow
            {
                OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
                EventType = eventType,
                UserId = userId,
                WorkspaceId = workspaceId,
                ClientId = clientId,
                IpAddress = ipAddress,
                Detail = detail?.ToJsonString(),
            },
            cancellationToken);
    }
}
