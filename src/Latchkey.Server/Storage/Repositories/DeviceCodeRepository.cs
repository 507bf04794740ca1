using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class DeviceCodeRepository(IDbConnectionFactory db)
{
    private const string Columns = "device_code_hash, user_code_hash, client_id, scope, created_at, expires_at, interval_seconds, last_polled_at, status, user_id, workspace_id, auth_time, decided_at, grant_id, amr";

    /// <summary>False when the user code collides with a live one (the caller draws another).</summary>
    public async Task<bool> TryCreateAsync(DeviceCodeRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO device_codes ({Columns}) VALUES (@DeviceCodeHash, @UserCodeHash, @ClientId, @Scope, @CreatedAt, @ExpiresAt, @IntervalSeconds, NULL, @Status, NULL, NULL, NULL, NULL, NULL, NULL)",
                row, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task<DeviceCodeRow?> FindByDeviceCodeAsync(string deviceCodeHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<DeviceCodeRow>(new CommandDefinition(
            $"SELECT {Columns} FROM device_codes WHERE device_code_hash = @deviceCodeHash", new { deviceCodeHash }, cancellationToken: cancellationToken));
    }

    public async Task<DeviceCodeRow?> FindByUserCodeAsync(string userCodeHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<DeviceCodeRow>(new CommandDefinition(
            $"SELECT {Columns} FROM device_codes WHERE user_code_hash = @userCodeHash", new { userCodeHash }, cancellationToken: cancellationToken));
    }

    public async Task RecordPollAsync(string deviceCodeHash, long now, long intervalSeconds, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE device_codes SET last_polled_at = @now, interval_seconds = @intervalSeconds WHERE device_code_hash = @deviceCodeHash",
            new { deviceCodeHash, now, intervalSeconds }, cancellationToken: cancellationToken));
    }

    /// <summary>Approves or denies a pending, unexpired request; false if it was already decided or expired.</summary>
    public async Task<bool> TryDecideAsync(string userCodeHash, string status, string userId, string? workspaceId, long authTime, string? amr, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE device_codes SET status = @status, user_id = @userId, workspace_id = @workspaceId, auth_time = @authTime, amr = @amr, decided_at = @now
            WHERE user_code_hash = @userCodeHash AND status = 'pending' AND expires_at > @now
            """,
            new { userCodeHash, status, userId, workspaceId, authTime, amr, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Exchanges an approved request exactly once, inside the transaction that stores what it is exchanged for (the
    /// grant, or Codex's authorization code): one approval makes one grant, and a failure leaves the approval unused.
    /// </summary>
    public async Task<bool> TryConsumeAsync(WriteTransaction tx, string deviceCodeHash, string grantId)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return await tx.ExecuteAsync(
            "UPDATE device_codes SET status = 'consumed', grant_id = @grantId WHERE device_code_hash = @deviceCodeHash AND status = 'approved'",
            new { deviceCodeHash, grantId }) == 1;
    }
}
