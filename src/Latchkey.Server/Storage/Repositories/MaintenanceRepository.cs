using Dapper;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Removes rows that can no longer be used. Authorization codes are kept a day past expiry so a replay is still recognised.</summary>
public sealed class MaintenanceRepository(IDbConnectionFactory db)
{
    public async Task<int> DeleteExpiredAsync(long now, CancellationToken cancellationToken)
    {
        const long day = 24L * 3600 * 1000;
        await using var c = await db.OpenAsync(cancellationToken);
        var total = 0;
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM authorization_codes WHERE expires_at < @cutoff", new { cutoff = now - day }, cancellationToken: cancellationToken));
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM device_codes WHERE expires_at < @now", new { now }, cancellationToken: cancellationToken));
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM refresh_tokens WHERE expires_at < @now", new { now }, cancellationToken: cancellationToken));
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM setup_tokens WHERE expires_at < @now", new { now }, cancellationToken: cancellationToken));
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM login_throttle WHERE window_start < @cutoff AND (locked_until IS NULL OR locked_until < @now)", new { cutoff = now - day, now }, cancellationToken: cancellationToken));
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM webauthn_challenges WHERE expires_at < @now", new { now }, cancellationToken: cancellationToken));
        // Ended sessions are kept a day, so someone looking into an incident can still see how they ended.
        total += await c.ExecuteAsync(new CommandDefinition("DELETE FROM web_sessions WHERE expires_at < @now OR ended_at < @cutoff", new { cutoff = now - day, now }, cancellationToken: cancellationToken));
        return total;
    }

    /// <summary>
    /// Forgets the sealed copy of every refresh token made before <paramref name="createdBefore"/> (the start of the
    /// retry window): past it no retry can be answered, so no encrypted secret is kept longer than that.
    /// </summary>
    public async Task<int> ForgetSealedSuccessorsAsync(long createdBefore, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET sealed_secret = NULL WHERE sealed_secret IS NOT NULL AND created_at < @createdBefore",
            new { createdBefore }, cancellationToken: cancellationToken));
    }
}
