using Dapper;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

/// <summary>Upstream identities linked to accounts. Looked up by (issuer, subject) only.</summary>
public sealed class ExternalIdentityRepository(IDbConnectionFactory db)
{
    private const string Columns = "issuer, subject, provider, user_id, email, email_verified, linked_by, created_at, last_used_at";

    public async Task<ExternalIdentityRow?> FindAsync(string issuer, string subject, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await c.QuerySingleOrDefaultAsync<ExternalIdentityRow>(new CommandDefinition(
            $"SELECT {Columns} FROM external_identities WHERE issuer = @issuer AND subject = @subject",
            new { issuer, subject }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ExternalIdentityRow>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<ExternalIdentityRow>(new CommandDefinition(
            $"SELECT {Columns} FROM external_identities WHERE user_id = @userId ORDER BY created_at",
            new { userId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Links the identity; false when (issuer, subject) is already linked (to anyone).</summary>
    public async Task<bool> TryLinkAsync(ExternalIdentityRow row, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO external_identities ({Columns}) VALUES (@Issuer, @Subject, @Provider, @UserId, @Email, @EmailVerifiedFlag, @LinkedBy, @CreatedAt, @CreatedAt)",
                new { row.Issuer, row.Subject, row.Provider, row.UserId, row.Email, EmailVerifiedFlag = row.EmailVerified ? 1L : 0L, row.LinkedBy, row.CreatedAt },
                cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    /// <summary>Notes a sign-in and the address the provider gave this time.</summary>
    public async Task TouchAsync(string issuer, string subject, string? email, bool emailVerified, long now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE external_identities SET last_used_at = @now, email = @email, email_verified = @verified WHERE issuer = @issuer AND subject = @subject",
            new { issuer, subject, email, verified = emailVerified ? 1L : 0L, now }, cancellationToken: cancellationToken));
    }
}
