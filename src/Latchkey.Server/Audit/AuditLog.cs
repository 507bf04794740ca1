using System.Text.Json.Nodes;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Audit;

/// <summary>Writes security events. Callers pass identifiers and reasons only: never a secret, code or token.</summary>
public sealed class AuditLog(AuditRepository repository, BackgroundAuditWriter background, TimeProvider time)
{
    public Task WriteAsync(
        string eventType,
        string? userId = null,
        string? workspaceId = null,
        string? clientId = null,
        string? ipAddress = null,
        JsonObject? detail = null,
        CancellationToken cancellationToken = default)
        => repository.AppendAsync(Row(eventType, userId, workspaceId, clientId, ipAddress, detail), cancellationToken);

    /// <summary>
    /// A high-volume usage event that records no state change (a gateway request, an access token's use): queued and
    /// committed in a batch off the request path (<see cref="BackgroundAuditWriter"/>). It is written even if the
    /// request is cancelled once queued, and on a clean shutdown before the server stops.
    /// </summary>
    public ValueTask RecordUsageAsync(
        string eventType, string? userId, string? workspaceId, string? clientId, string? ipAddress, JsonObject? detail, CancellationToken cancellationToken)
        => background.EnqueueAsync(Row(eventType, userId, workspaceId, clientId, ipAddress, detail), cancellationToken);

    /// <summary>
    /// An event to write inside a caller's own transaction, so it commits (or not) with the change it records. It is
    /// counted in the audit metric when built: a rolled-back transaction is rare and the counter is a rate, not a record.
    /// </summary>
    public AuditEventRow Row(string eventType, string? userId, string? workspaceId, string? clientId, string? ipAddress, JsonObject? detail)
    {
        AuditMetrics.Count(eventType);
        return new()
            {
                OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
                EventType = eventType,
                UserId = userId,
                WorkspaceId = workspaceId,
                ClientId = clientId,
                IpAddress = ipAddress,
                Detail = detail?.ToJsonString(),
            };
    }
}
