using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Registered passkeys and the WebAuthn ceremonies in progress.</summary>
public sealed class PasskeyRepository(IDbConnectionFactory db)
{
    private const string Columns = "credential_id, user_id, name, public_key, user_handle, sign_count, aaguid, transports, created_at, last_used_at";
    private const string ChallengeColumns = "handle_hash, purpose, user_id, options, created_at, expires_at";

    public async Task<IReadOnlyList<PasskeyRow>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<PasskeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM passkeys WHERE user_id = @userId ORDER BY created_at, credential_id", new { userId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<PasskeyRow?> FindAsync(string credentialId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<PasskeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM passkeys WHERE credential_id = @credentialId", new { credentialId }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores a new passkey; false when the credential id is registered already (to anyone).</summary>
    public async Task<bool> TryAddAsync(PasskeyRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO passkeys ({Columns}) VALUES (@CredentialId, @UserId, @Name, @PublicKey, @UserHandle, @SignCount, @Aaguid, @Transports, @CreatedAt, NULL)",
                row, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    /// <summary>Removes one of the user's passkeys; false when the user has no passkey with that id.</summary>
    public async Task<bool> RemoveAsync(string userId, string credentialId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM passkeys WHERE credential_id = @credentialId AND user_id = @userId", new { userId, credentialId }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Records a use: the new counter, only if the stored one is still <paramref name="expectedCount"/>. Two assertions
    /// racing with the same counter cannot both pass (the second finds the counter moved); false then.
    /// </summary>
    public async Task<bool> TryRecordUseAsync(string credentialId, long expectedCount, long newCount, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE passkeys SET sign_count = @newCount, last_used_at = @now WHERE credential_id = @credentialId AND sign_count = @expectedCount",
            new { credentialId, expectedCount, newCount, now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task CreateChallengeAsync(WebAuthnChallengeRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO webauthn_challenges ({ChallengeColumns}) VALUES (@HandleHash, @Purpose, @UserId, @Options, @CreatedAt, @ExpiresAt)", row, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Takes the ceremony out of the store: the row is deleted by the same statement that reads it, so of any number of
    /// concurrent completions (on any instance) exactly one gets it. Null when unknown, used, or expired.
    /// </summary>
    public async Task<WebAuthnChallengeRow?> TakeChallengeAsync(string handleHash, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var row = await c.QuerySingleOrDefaultAsync<WebAuthnChallengeRow>(new CommandDefinition(
            $"DELETE FROM webauthn_challenges WHERE handle_hash = @handleHash RETURNING {ChallengeColumns}", new { handleHash }, cancellationToken: cancellationToken));
        return row is not null && row.ExpiresAt > now ? row : null;
    }
}
