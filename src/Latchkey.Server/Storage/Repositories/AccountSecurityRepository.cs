using Dapper;
using Latchkey.Server.Common;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Sign-in throttling, recovery codes and setup tokens: the small tables behind account security.</summary>
public sealed class AccountSecurityRepository(IDbConnectionFactory db)
{
    public async Task<long?> GetLockedUntilAsync(string throttleKey, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT locked_until FROM login_throttle WHERE throttle_key = @throttleKey", new { throttleKey }, cancellationToken: cancellationToken));
    }

    /// <summary>Counts a failure in the current window; locks the key once <paramref name="maxFailures"/> is reached.</summary>
    public async Task RecordFailureAsync(string throttleKey, long now, long windowMs, int maxFailures, long lockoutMs, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var row = await c.QuerySingleOrDefaultAsync<ThrottleState>(new CommandDefinition(
            "SELECT failures, window_start FROM login_throttle WHERE throttle_key = @throttleKey",
            new { throttleKey }, tx, cancellationToken: cancellationToken));
        var inWindow = row is not null && now - row.WindowStart < windowMs;
        var failures = inWindow ? row!.Failures + 1 : 1;
        var windowStart = inWindow ? row!.WindowStart : now;
        long? lockedUntil = failures >= maxFailures ? now + lockoutMs : null;
        if (lockedUntil is not null)
        {
            ServerMetrics.LockoutStarted(throttleKey.StartsWith("mfa:", StringComparison.Ordinal) ? "mfa" : "password");
        }

        await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until) VALUES (@throttleKey, @failures, @windowStart, @lockedUntil)
            ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until
            """,
            new { throttleKey, failures, windowStart, lockedUntil }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task ResetThrottleAsync(string throttleKey, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM login_throttle WHERE throttle_key = @throttleKey", new { throttleKey }, cancellationToken: cancellationToken));
    }

    public async Task ReplaceRecoveryCodesAsync(string userId, IEnumerable<string> codeHashes, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM recovery_codes WHERE user_id = @userId", new { userId }, tx, cancellationToken: cancellationToken));
        foreach (var codeHash in codeHashes)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (@userId, @codeHash, NULL)",
                new { userId, codeHash }, tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Marks an unused recovery code used; false if unknown or already used (single use).</summary>
    public async Task<bool> TryUseRecoveryCodeAsync(string userId, string codeHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE recovery_codes SET used_at = @now WHERE user_id = @userId AND code_hash = @codeHash AND used_at IS NULL",
            new { userId, codeHash, now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<long> CountUnusedRecoveryCodesAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = @userId AND used_at IS NULL", new { userId }, cancellationToken: cancellationToken));
    }

    public async Task CreateSetupTokenAsync(string tokenHash, long now, long expiresAt, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO setup_tokens (token_hash, created_at, expires_at, used_at) VALUES (@tokenHash, @now, @expiresAt, NULL)",
            new { tokenHash, now, expiresAt }, cancellationToken: cancellationToken));
    }

    public async Task<bool> IsSetupTokenUsableAsync(string tokenHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = @tokenHash AND used_at IS NULL AND expires_at > @now",
            new { tokenHash, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Consumes a setup token exactly once, even under concurrent use.</summary>
    public async Task<bool> TryConsumeSetupTokenAsync(string tokenHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE setup_tokens SET used_at = @now WHERE token_hash = @tokenHash AND used_at IS NULL AND expires_at > @now",
            new { tokenHash, now }, cancellationToken: cancellationToken)) == 1;
    }

    private sealed class ThrottleState
    {
        public long Failures { get; init; }

        public long WindowStart { get; init; }
    }
}
