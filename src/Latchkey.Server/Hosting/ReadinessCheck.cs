using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Server.Hosting;

/// <summary>
/// `/readyz`: this instance can serve sign-ins: the database answers, every migration of this build is applied, and
/// a signing key is active. A load balancer takes the instance out of rotation while any of these is false.
/// </summary>
public sealed class ReadinessCheck(SchemaMigrator migrator, KeyRepository keys, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = await migrator.PendingAsync(cancellationToken);
            if (pending.Count > 0)
            {
                return HealthCheckResult.Unhealthy($"migrations not applied: {string.Join(", ", pending)}");
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var signing = await keys.ListSigningKeysAsync(cancellationToken);
            return signing.Any(k => k.RetiredAt is null || k.RetiredAt > now)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("no active signing key");
        }
        catch (Exception e) when (DbErrors.IsUnavailable(e))
        {
            // The reason is for the operator's log, not the response: it can name hosts and paths.
            return HealthCheckResult.Unhealthy("database unavailable", e);
        }
    }
}
