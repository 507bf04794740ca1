using Latchkey.Server.Storage.Repositories;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>Deletes expired codes, device codes, refresh tokens and setup links on a timer.</summary>
public sealed partial class ExpiredDataCleanup(
    MaintenanceRepository maintenance,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time,
    ILogger<ExpiredDataCleanup> logger) : BackgroundService
{
    public Task<int> RunOnceAsync(CancellationToken cancellationToken)
        => maintenance.DeleteExpiredAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);

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
