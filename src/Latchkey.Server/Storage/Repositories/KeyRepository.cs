using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>JWT signing keys and ASP.NET Data Protection keys: shared by every instance through the database.</summary>
public sealed class KeyRepository(IDbConnectionFactory db)
{
    public async Task<IReadOnlyList<SigningKeyRow>> ListSigningKeysAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<SigningKeyRow>(new CommandDefinition(
            "SELECT kid, public_key, private_key_protected, created_at, activate_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>
    /// Adds a key that signs from its ActivateAt, and retires every key not yet retired at that same moment, atomically:
    /// the current key keeps signing until the new one takes over.
    /// </summary>
    public async Task AddSigningKeyAsync(SigningKeyRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retired_at = @at WHERE retired_at IS NULL OR retired_at > @at", new { at = row.ActivateAt ?? row.CreatedAt }, tx, cancellationToken: cancellationToken));
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO signing_keys (kid, public_key, private_key_protected, created_at, activate_at, retired_at) VALUES (@Kid, @PublicKey, @PrivateKeyProtected, @CreatedAt, @ActivateAt, NULL)",
            row, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Adds the first key only if there is no active key (two instances starting together create one).</summary>
    public async Task<bool> TryAddFirstSigningKeyAsync(SigningKeyRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        if (db.Engine == DatabaseEngine.Postgres)
        {
            await c.ExecuteAsync(new CommandDefinition("LOCK TABLE signing_keys IN EXCLUSIVE MODE", transaction: tx, cancellationToken: cancellationToken));
        }

        var active = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL", transaction: tx, cancellationToken: cancellationToken));
        if (active > 0)
        {
            return false;
        }

        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO signing_keys (kid, public_key, private_key_protected, created_at, activate_at, retired_at) VALUES (@Kid, @PublicKey, @PrivateKeyProtected, @CreatedAt, @ActivateAt, NULL)",
            row, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task DeleteSigningKeysRetiredBeforeAsync(long cutoff, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < @cutoff", new { cutoff }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Data Protection's key ring (IXmlRepository, synchronous by contract), read outside the request pool: Data
    /// Protection reads it from inside the call that needs an unknown key, which may already hold a pooled connection.
    /// </summary>
    public IReadOnlyList<string> ListDataProtectionKeys()
    {
        using var c = db.OpenOutsidePool();
        return c.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at").AsList();
    }

    public async Task<IReadOnlyList<(string FriendlyName, string Xml)>> ListDataProtectionKeyRowsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT friendly_name, xml FROM data_protection_keys ORDER BY created_at", cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task ReplaceDataProtectionKeyAsync(string friendlyName, string xml, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE data_protection_keys SET xml = @xml WHERE friendly_name = @friendlyName", new { friendlyName, xml }, cancellationToken: cancellationToken));
    }

    /// <summary>A new Data Protection key, stored outside the request pool for the same reason as the key ring is read.</summary>
    public void StoreDataProtectionKey(string friendlyName, string xml, long now)
    {
        using var c = db.OpenOutsidePool();
        c.Execute(
            "INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@friendlyName, @xml, @now) ON CONFLICT (friendly_name) DO NOTHING",
            new { friendlyName, xml, now });
    }
}
