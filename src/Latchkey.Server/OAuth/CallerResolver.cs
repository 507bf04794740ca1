using System.Globalization;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The one place a bearer credential becomes a <see cref="Caller"/>: one database query per credential kind, and a
/// membership, grant or token that no longer holds is refused at that moment (RFC 6750 §3.1 invalid_token). Used by
/// <see cref="BearerAuthenticationHandler"/> for every bearer endpoint, and by introspection and the token exchange,
/// which receive the credential in the body.
/// </summary>
public sealed class CallerResolver(
    AccessTokenValidator jwts,
    CallerRepository callers,
    AccessTokenRepository accessTokens,
    ApiKeyRepository apiKeys,
    GrantRepository grants,
    ClientRegistry clients,
    LocalAccessGate localAccess,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>"Last used" is kept to the minute, so a busy token costs one write a minute, not one per request.</summary>
    private const long TouchIntervalMs = 60_000;

    public static readonly ServiceError InvalidSignIn = new(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is invalid, expired or revoked. Sign in again.");

    public async Task<CallerOutcome> ResolveAsync(string? bearer, BearerUse use, string? clientLabel, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(use);
        var kind = CredentialKinds.Classify(bearer);
        if (use.RefuseShape(kind, bearer) is { } refusal)
        {
            return CallerOutcome.Refused(refusal, presented: !string.IsNullOrEmpty(bearer));
        }

        return kind switch
        {
            CredentialKinds.SignIn => await SignInAsync(bearer!, use, ip, cancellationToken),
            CredentialKinds.AccessToken => await AccessTokenAsync(bearer!, use, clientLabel, ip, cancellationToken),
            _ => await ApiKeyAsync(bearer!, cancellationToken),
        };
    }

    private async Task<CallerOutcome> SignInAsync(string bearer, BearerUse use, string? ip, CancellationToken cancellationToken)
    {
        var claims = await jwts.ValidateSignatureAsync(bearer, cancellationToken);
        var sid = claims is null ? null : JwtCodec.GetString(claims, ClaimNames.SessionId);
        var row = sid is null ? null : await callers.FindSignInAsync(sid, cancellationToken);
        if (row is null || row.RevokedAt is not null || row.UserId != JwtCodec.GetString(claims!, "sub"))
        {
            return CallerOutcome.Refused(InvalidSignIn);
        }

        if (ToMember(row) is not { } member)
        {
            return CallerOutcome.Refused(new ServiceError(StatusCodes.Status401Unauthorized, "not_a_member", "You are no longer a member of this workspace."));
        }

        // Local clients (the CLI, Codex) and access-token exchanges are "local use"; a confidential web app is not.
        var isLocal = row.ClientId == AccessTokenRepository.GrantClientId || clients.Find(row.ClientId)?.IsLocal != false;
        if (use.LocalUse && member.Decide(WorkspaceAction.UseLocally, new AccessTarget { LocalClient = isLocal }) is { IsAllowed: false } decision)
        {
            return CallerOutcome.Refused((await localAccess.RecordAsync(decision, member.UserId, member.WorkspaceId, row.ClientId, ip, use.Purpose, cancellationToken))!);
        }

        if (row.FirstUsedAt is null)
        {
            // The first use claims the sign-in (UnclaimedSignIns); one write per grant, ever.
            await grants.MarkUsedAsync(row.CredentialId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        }

        return CallerOutcome.Of(new Caller
        {
            CredentialKind = CredentialKinds.SignIn,
            CredentialId = row.CredentialId,
            Workspace = member.Workspace,
            Member = member,
            Email = row.Email,
            EmailVerified = row.EmailVerifiedAt is not null,
            ClientId = row.ClientId!,
            GrantId = row.CredentialId,
            Claims = claims,
        });
    }

    /// <summary>The run-start check (codex-compat.md): revoked, expired, creator still a member, local access; each refusal recorded.</summary>
    private async Task<CallerOutcome> AccessTokenAsync(string bearer, BearerUse use, string? clientLabel, string? ip, CancellationToken cancellationToken)
    {
        var row = await callers.FindAccessTokenAsync(SecretDigest.Compute(bearer), cancellationToken);
        if (row is null)
        {
            return CallerOutcome.Refused(Unauthorized("invalid_token", "The access token is not valid. Check that it was copied whole."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var member = ToMember(row);
        ServiceError? refusal = null;
        if (row.RevokedAt is { } revokedAt)
        {
            refusal = Unauthorized("token_revoked", $"This access token was revoked on {Format(revokedAt)}. Create a new one in the Latchkey console.");
        }
        else if (row.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            refusal = Unauthorized("token_expired", $"This access token expired on {Format(expiresAt)}. Create a new one in the Latchkey console.");
        }
        else if (member is null)
        {
            refusal = Unauthorized("creator_not_member", "The user who created this access token is no longer a member of its workspace.");
        }
        else
        {
            // Recorded below as this token's refusal (access_token.refused, reason local_access_disabled).
            refusal = member.Decide(WorkspaceAction.UseLocally).ToError();
        }

        if (refusal is not null)
        {
            await audit.WriteAsync(AuditEventTypes.AccessTokenRefused, row.UserId, row.CredentialWorkspaceId, clientLabel, ip,
                new JsonObject { ["token_id"] = row.CredentialId, ["reason"] = refusal.Code, ["purpose"] = use.Purpose }, cancellationToken);
            return CallerOutcome.Refused(refusal);
        }

        if (row.LastUsedAt is not { } last || now - last >= TouchIntervalMs)
        {
            await accessTokens.TouchAsync(row.CredentialId, now, ip, cancellationToken);
        }

        if (use.RecordUse)
        {
            await audit.RecordUsageAsync(AuditEventTypes.AccessTokenUsed, row.UserId, row.CredentialWorkspaceId, clientLabel, ip,
                new JsonObject { ["token_id"] = row.CredentialId, ["purpose"] = use.Purpose }, cancellationToken);
        }

        return CallerOutcome.Of(new Caller
        {
            CredentialKind = CredentialKinds.AccessToken,
            CredentialId = row.CredentialId,
            Workspace = member!.Workspace,
            Member = member,
            Email = row.Email,
            EmailVerified = row.EmailVerifiedAt is not null,
            ClientId = CredentialKinds.AccessToken,
            GrantId = row.CredentialId,
            ExpiresAt = row.ExpiresAt,
        });
    }

    /// <summary>API keys follow the workspace's API settings, not its member policies.</summary>
    private async Task<CallerOutcome> ApiKeyAsync(string bearer, CancellationToken cancellationToken)
    {
        var row = await callers.FindApiKeyAsync(SecretDigest.Compute(bearer), cancellationToken);
        if (row?.Workspace is null || row.RevokedAt is not null)
        {
            return CallerOutcome.Refused(Unauthorized("invalid_api_key", row is null ? "The API key is not valid." : "This API key was revoked."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (row.LastUsedAt is not { } last || now - last >= TouchIntervalMs)
        {
            await apiKeys.TouchAsync(row.CredentialId, now, cancellationToken);
        }

        return CallerOutcome.Of(new Caller
        {
            CredentialKind = CredentialKinds.ApiKey,
            CredentialId = row.CredentialId,
            Workspace = row.Workspace,
            ClientId = CredentialKinds.ApiKey,
        });
    }


    private static WorkspaceAccess? ToMember(CallerRow row)
    {
        if (row.Workspace is null || row.Role is null || row.UserId is null)
        {
            return null;
        }

        var custom = row.CustomRoleId is null ? null : new CustomRoleRow
        {
            Id = row.CustomRoleId,
            WorkspaceId = row.Workspace.Id,
            Name = row.CustomRoleName!,
            Permissions = row.CustomRolePermissions ?? string.Empty,
        };
        return new WorkspaceAccess(row.Workspace, row.UserId, row.Role, custom?.Name ?? row.Role, WorkspaceAccessService.Compute(row.Workspace, row.Role, custom));
    }

    private static ServiceError Unauthorized(string code, string message) => new(StatusCodes.Status401Unauthorized, code, message);

    private static string Format(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
