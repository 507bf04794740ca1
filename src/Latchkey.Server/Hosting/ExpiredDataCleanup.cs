using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>
/// On a timer: revokes sign-ins nobody ever used (<see cref="UnclaimedSignIns"/>), deletes expired codes, device codes,
/// refresh tokens, setup links and web sessions (expired, or ended over a day ago), forgets sealed refresh successors past the retry window, and audit events past their retention
/// (the workspace's own setting, else the server's; API-key usage records by the workspace's API setting).
/// </summary>
public sealed partial class ExpiredDataCleanup(
    MaintenanceRepository maintenance,
    GrantRepository grants,
    AuditRepository audit,
    AuditLog auditLog,
    WorkspaceRepository workspaces,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time,
    ILogger<ExpiredDataCleanup> logger) : BackgroundService
{
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var removed = await maintenance.DeleteExpiredAsync(now.ToUnixTimeMilliseconds(), cancellationToken);
        var unclaimed = await grants.RevokeUnclaimedAsync(
            (now - options.Value.Lifetimes.UnclaimedSignIn).ToUnixTimeMilliseconds(), UnclaimedSignIns.RevokedReason, now.ToUnixTimeMilliseconds(),
            g => auditLog.Row(AuditEventTypes.GrantRevoked, g.UserId, g.WorkspaceId, g.ClientId, null, new JsonObject { ["grant_id"] = g.Id, ["reason"] = UnclaimedSignIns.RevokedReason }),
            cancellationToken);
        removed += unclaimed.Count;
        removed += await maintenance.ForgetSealedSuccessorsAsync((now - options.Value.Lifetimes.RefreshRetryWindow).ToUnixTimeMilliseconds(), cancellationToken);
        removed += await audit.DeleteOlderThanAsync(null, (now - options.Value.AuditRetention).ToUnixTimeMilliseconds(), cancellationToken);
        foreach (var workspace in await workspaces.ListAllAsync(cancellationToken))
        {
            if (workspace.AuditRetentionDays is { } days)
            {
                removed += await audit.DeleteOlderThanAsync(workspace.Id, (now - TimeSpan.FromDays(days)).ToUnixTimeMilliseconds(), cancellationToken);
            }

            if (workspace.ApiUsageRetentionDays is { } usageDays)
            {
                removed += await audit.DeleteApiUsageOlderThanAsync(workspace.Id, (now - TimeSpan.FromDays(usageDays)).ToUnixTimeMilliseconds(), cancellationToken);
            }
        }

        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var removed = await RunOnceAsync(stoppingToken);
                LogCleaned(logger, removed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Removed {Count} expired rows")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Cleanup of expired rows failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
