using System.Globalization;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// Automation access tokens (`at-…`): created by members the workspace allows, shown once, stored as SHA-256
/// digests. The run-start check of a presented token is the caller resolution's (OAuth/CallerResolver).
/// </summary>
public sealed class AccessTokenService(
    AccessTokenRepository tokens,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>The expiry choices the console offers; "custom" takes a date, "never" only where the workspace has no limit.</summary>
    public static readonly IReadOnlyList<string> ExpirationChoices = ["7d", "30d", "60d", "90d", "custom", "never"];

    private DateTimeOffset Now => time.GetUtcNow();

    public async Task<ServiceResult<(AccessTokenRow Token, string Secret)>> CreateAsync(
        WorkspaceAccess actor, string? name, string? expiration, string? customExpiresAt, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.CreateAccessToken).ToError() is { } refused)
        {
            return refused;
        }

        var (validName, nameError) = InputRules.Name(name, "Token name");
        if (nameError is not null)
        {
            return ServiceError.Invalid("name", nameError);
        }

        var (expiresAt, expiryError) = ResolveExpiry(actor.Workspace, expiration, customExpiresAt);
        if (expiryError is not null)
        {
            return expiryError;
        }

        var (row, secret) = await StoreAsync(actor, validName!, expiresAt, replacesId: null, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.AccessTokenCreated, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["token_id"] = row.Id, ["name"] = row.Name, ["expires_at"] = row.ExpiresAt }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((row, secret));
    }

    /// <summary>Owners and admins (access_tokens.manage) see every token; members with the permission their own.</summary>
    public async Task<ServiceResult<IReadOnlyList<AccessTokenRow>>> ListAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.ListAccessTokens).ToError() is { } refused)
        {
            return refused;
        }

        // The list holds exactly the tokens the table lets this caller act on: everyone's, or their own.
        var everyone = actor.Decide(WorkspaceAction.RevokeAccessToken, AccessTarget.AnotherPersonsToken).IsAllowed;
        return ServiceResult.Ok(await tokens.ListAsync(actor.WorkspaceId, everyone ? null : actor.UserId, cancellationToken));
    }

    public async Task<ServiceResult<AccessTokenRow>> RevokeAsync(WorkspaceAccess actor, string tokenId, string? ip, CancellationToken cancellationToken)
    {
        var (row, error) = await FindAsync(actor, WorkspaceAction.RevokeAccessToken, tokenId, cancellationToken);
        if (row is null)
        {
            return error!;
        }

        if (!await tokens.RevokeAsync(row.Id, actor.UserId, "revoked", Now.ToUnixTimeMilliseconds(), cancellationToken))
        {
            return ServiceError.Conflict("already_revoked", "This access token is already revoked.");
        }

        await audit.WriteAsync(AuditEventTypes.AccessTokenRevoked, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["token_id"] = row.Id, ["name"] = row.Name, ["creator_id"] = row.UserId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((await tokens.FindAsync(actor.WorkspaceId, row.Id, cancellationToken))!);
    }

    /// <summary>
    /// Replaces the caller's own token: the new one is created first (same name, same lifetime within today's limit),
    /// then the old one is revoked, so a crash between the two leaves two working tokens, never none.
    /// Only the token's creator may rotate it (ASVS 5.0 §8.2.2: access to a data item is restricted to those with
    /// explicit permission to that item). A rotated token authenticates as its creator, so if an admin or an access_tokens.manage holder
    /// could rotate another person's token they would be handed that person's identity; they may revoke it instead.
    /// </summary>
    public async Task<ServiceResult<(AccessTokenRow Token, string Secret)>> RotateAsync(WorkspaceAccess actor, string tokenId, string? ip, CancellationToken cancellationToken)
    {
        var (old, error) = await FindAsync(actor, WorkspaceAction.RotateAccessToken, tokenId, cancellationToken);
        if (old is null)
        {
            return error!;
        }

        var now = Now;
        if (old.RevokedAt is not null || (old.ExpiresAt is { } e && e <= now.ToUnixTimeMilliseconds()))
        {
            return ServiceError.Conflict("not_active", "Only an active access token can be rotated. Create a new one instead.");
        }

        DateTimeOffset? expiresAt = old.ExpiresAt is { } oldExpiry ? now + TimeSpan.FromMilliseconds(oldExpiry - old.CreatedAt) : null;
        if (actor.Workspace.AccessTokenMaxDays is { } maxDays && (expiresAt is null || expiresAt > now.AddDays(maxDays)))
        {
            expiresAt = now.AddDays(maxDays);
        }

        var (replacement, secret) = await StoreAsync(actor, old.Name, expiresAt, old.Id, cancellationToken);
        await tokens.RevokeAsync(old.Id, actor.UserId, "rotated", now.ToUnixTimeMilliseconds(), cancellationToken);
        await audit.WriteAsync(AuditEventTypes.AccessTokenRotated, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["token_id"] = old.Id, ["replacement_id"] = replacement.Id, ["name"] = old.Name, ["creator_id"] = old.UserId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((replacement, secret));
    }

    public static string Status(AccessTokenRow row, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.RevokedAt is not null)
        {
            return row.RevokedReason == "rotated" ? "rotated" : "revoked";
        }

        return row.ExpiresAt is { } e && e <= now.ToUnixTimeMilliseconds() ? "expired" : "active";
    }

    /// <summary>The token, when the decision table lets the caller do <paramref name="action"/> to it; a missing token reads the same as a hidden one.</summary>
    private async Task<(AccessTokenRow? Row, ServiceError? Error)> FindAsync(WorkspaceAccess actor, WorkspaceAction action, string tokenId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var row = string.IsNullOrEmpty(tokenId) ? null : await tokens.FindAsync(actor.WorkspaceId, tokenId, cancellationToken);
        if (row is null)
        {
            return (null, ServiceError.NotFound(AccessRules.Noun(action)));
        }

        return actor.Decide(action, new AccessTarget { CredentialOwnerId = row.UserId }).ToError() is { } refused ? (null, refused) : (row, null);
    }

    private async Task<(AccessTokenRow Row, string Secret)> StoreAsync(WorkspaceAccess creator, string name, DateTimeOffset? expiresAt, string? replacesId, CancellationToken cancellationToken)
    {
        var secret = TokenFormat.Generate(TokenFormat.AccessTokenPrefix);
        var row = new AccessTokenRow
        {
            Id = WorkspaceAdminService.NewId("at_"),
            TokenHash = SecretDigest.Compute(secret),
            Name = name,
            UserId = creator.UserId,
            WorkspaceId = creator.WorkspaceId,
            CreatedAt = Now.ToUnixTimeMilliseconds(),
            ExpiresAt = expiresAt?.ToUnixTimeMilliseconds(),
            ReplacesId = replacesId,
            DisplayMask = TokenFormat.Mask(secret),
        };
        await tokens.CreateAsync(row, cancellationToken);
        return ((await tokens.FindAsync(creator.WorkspaceId, row.Id, cancellationToken))!, secret);
    }

    /// <summary>7/30/60/90 days, a custom date at least one day ahead, or never — never beyond the workspace's limit.</summary>
    private (DateTimeOffset? ExpiresAt, ServiceError? Error) ResolveExpiry(WorkspaceRow workspace, string? expiration, string? customExpiresAt)
    {
        var now = Now;
        var limit = workspace.AccessTokenMaxDays;
        DateTimeOffset? expiresAt;
        switch (expiration)
        {
            case "7d" or "30d" or "60d" or "90d":
                expiresAt = now.AddDays(int.Parse(expiration[..^1], CultureInfo.InvariantCulture));
                break;
            case "never":
                if (limit is not null)
                {
                    return (null, ServiceError.Invalid("expiration", $"This workspace requires access tokens to expire within {limit} days."));
                }

                return (null, null);
            case "custom":
                if (!TryParseDate(customExpiresAt, out var chosen))
                {
                    return (null, ServiceError.Invalid("expires_at", "Enter the expiry date as YYYY-MM-DD (or an RFC 3339 time)."));
                }

                if (chosen < now.AddDays(1))
                {
                    return (null, ServiceError.Invalid("expires_at", "A custom expiry must be at least one day from now."));
                }

                expiresAt = chosen;
                break;
            default:
                return (null, ServiceError.Invalid("expiration", "Choose an expiration: 7d, 30d, 60d, 90d, custom or never."));
        }

        // A custom date means midnight UTC at its start, so a date on the limit's last day passes.
        if (limit is { } days && expiresAt > now.AddDays(days))
        {
            return (null, ServiceError.Invalid(expiration == "custom" ? "expires_at" : "expiration", $"This workspace allows access tokens of at most {days} days."));
        }

        return (expiresAt, null);
    }

    private static bool TryParseDate(string? value, out DateTimeOffset result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            result = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out result)
            && value.Contains('T', StringComparison.Ordinal);
    }
}
