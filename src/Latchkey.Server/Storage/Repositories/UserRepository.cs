using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed class UserRepository(IDbConnectionFactory db)
{
    private const string Columns = "id, email, normalized_email, password_hash, totp_secret_protected, totp_enrolled_at, last_totp_step, created_at";
    private const string SelectColumns = Columns + ", device_sign_in_disabled, email_verified_at, disabled_at";

    public async Task<UserRow?> FindByNormalizedEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<UserRow>(
            new CommandDefinition($"SELECT {SelectColumns} FROM users WHERE normalized_email = @normalizedEmail", new { normalizedEmail }, cancellationToken: cancellationToken));
    }

    public async Task<UserRow?> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<UserRow>(
            new CommandDefinition($"SELECT {SelectColumns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: cancellationToken));
    }

    /// <summary>Creates the user with a personal workspace they own, atomically. False when the email is taken.</summary>
    public async Task<bool> TryCreateWithPersonalWorkspaceAsync(UserRow user, WorkspaceRow workspace, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO users ({Columns}, email_verified_at) VALUES (@Id, @Email, @NormalizedEmail, @PasswordHash, @TotpSecretProtected, @TotpEnrolledAt, @LastTotpStep, @CreatedAt, @EmailVerifiedAt)",
                user, tx, cancellationToken: cancellationToken));
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO workspaces (id, name, plan_type, personal_owner_id, created_at) VALUES (@Id, @Name, @PlanType, @PersonalOwnerId, @CreatedAt)",
                workspace, tx, cancellationToken: cancellationToken));
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (@workspaceId, @userId, 'owner', @now)",
                new { workspaceId = workspace.Id, userId = user.Id, now = user.CreatedAt }, tx, cancellationToken: cancellationToken));
            await tx.CommitAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            await tx.RollbackAsync(cancellationToken);
            return false;
        }
    }

    public async Task SetTotpSecretAsync(string userId, string protectedSecret, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET totp_secret_protected = @protectedSecret, totp_enrolled_at = @now, last_totp_step = NULL WHERE id = @userId",
            new { userId, protectedSecret, now }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Records a TOTP time step as used; false if that step (or a later one) was already used.
    /// RFC 6238 §5.2: a verifier must not accept the same OTP twice.
    /// </summary>
    public async Task<bool> TryUseTotpStepAsync(string userId, long step, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET last_totp_step = @step WHERE id = @userId AND (last_totp_step IS NULL OR last_totp_step < @step)",
            new { userId, step }, cancellationToken: cancellationToken));
        return rows == 1;
    }

    public async Task SetDeviceSignInDisabledAsync(string userId, bool disabled, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET device_sign_in_disabled = @value WHERE id = @userId",
            new { userId, value = disabled ? 1L : 0L }, cancellationToken: cancellationToken));
    }

    public async Task SetPasswordHashAsync(string userId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash WHERE id = @userId",
            new { userId, passwordHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Records that the address was verified; false if the user does not exist or already was.</summary>
    public async Task<bool> MarkEmailVerifiedAsync(string userId, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET email_verified_at = @now WHERE id = @userId AND email_verified_at IS NULL",
            new { userId, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Which sign-in methods the account has, in one query; null when there is no such user.</summary>
    public async Task<MfaStandingRow?> GetMfaStandingAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<MfaStandingRow>(new CommandDefinition(
            """
            SELECT CASE WHEN u.password_hash <> '' THEN 1 ELSE 0 END AS has_password,
                   CASE WHEN u.totp_secret_protected IS NOT NULL THEN 1 ELSE 0 END AS has_totp,
                   (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys,
                   (SELECT COUNT(*) FROM external_identities e WHERE e.user_id = u.id) AS external_identities
            FROM users u WHERE u.id = @userId
            """,
            new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes every second factor (authenticator key, recovery codes, passkeys) in one transaction; false when no such user.</summary>
    public async Task<bool> ResetMfaAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var changed = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET totp_secret_protected = NULL, totp_enrolled_at = NULL WHERE id = @userId", new { userId }, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM recovery_codes WHERE user_id = @userId", new { userId }, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM passkeys WHERE user_id = @userId", new { userId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return changed == 1;
    }

    /// <summary>Sets or clears <c>disabled_at</c>; false if the user does not exist or already was in that state.</summary>
    public async Task<bool> SetDisabledAsync(string userId, long? disabledAt, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var sql = disabledAt is null
            ? "UPDATE users SET disabled_at = NULL WHERE id = @userId AND disabled_at IS NOT NULL"
            : "UPDATE users SET disabled_at = @disabledAt WHERE id = @userId AND disabled_at IS NULL";
        return await c.ExecuteAsync(new CommandDefinition(sql, new { userId, disabledAt }, cancellationToken: cancellationToken)) == 1;
    }
}
