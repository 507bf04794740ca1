using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>Workspace API keys (`sk-lk-…`): created, listed and revoked by owners and admins, stored as digests, shown once.</summary>
public sealed class ApiKeyService(ApiKeyRepository keys, WorkspaceRepository workspaces, AuditLog audit, TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<ServiceResult<(ApiKeyRow Key, string Secret)>> CreateAsync(WorkspaceAccess actor, string? name, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.Has(Permissions.ManageApiKeys))
        {
            return ServiceError.NotFound("API keys");
        }

        var (validName, error) = InputRules.Name(name, "Key name");
        if (error is not null)
        {
            return ServiceError.Invalid("name", error);
        }

        var secret = TokenFormat.Generate(TokenFormat.ApiKeyPrefix);
        var row = new ApiKeyRow
        {
            Id = WorkspaceAdminService.NewId("key_"),
            KeyHash = SecretDigest.Compute(secret),
            Name = validName!,
            WorkspaceId = actor.WorkspaceId,
            CreatedBy = actor.UserId,
            CreatedAt = Now,
        };
        await keys.CreateAsync(row, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.ApiKeyCreated, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["key_id"] = row.Id, ["name"] = row.Name }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((row, secret));
    }

    public async Task<ServiceResult<IReadOnlyList<ApiKeyRow>>> ListAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Has(Permissions.ManageApiKeys)
            ? ServiceResult.Ok(await keys.ListAsync(actor.WorkspaceId, cancellationToken))
            : ServiceError.NotFound("API keys");
    }

    public async Task<ServiceResult<bool>> RevokeAsync(WorkspaceAccess actor, string keyId, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.Has(Permissions.ManageApiKeys) || !await keys.RevokeAsync(actor.WorkspaceId, keyId, actor.UserId, Now, cancellationToken))
        {
            return ServiceError.NotFound("API key");
        }

        await audit.WriteAsync(AuditEventTypes.ApiKeyRevoked, actor.UserId, actor.WorkspaceId, ipAddress: ip, detail: new JsonObject { ["key_id"] = keyId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    /// <summary>Checks a presented key: well-formed, known, not revoked. API-key use follows the workspace's API settings, not member policies.</summary>
    public async Task<ServiceResult<(ApiKeyRow Key, WorkspaceRow Workspace)>> AuthenticateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (!TokenFormat.IsWellFormed(presented, TokenFormat.ApiKeyPrefix))
        {
            return new ServiceError(StatusCodes.Status401Unauthorized, "invalid_api_key", "The API key is not valid.");
        }

        var key = await keys.FindByHashAsync(SecretDigest.Compute(presented!), cancellationToken);
        if (key is null || key.RevokedAt is not null)
        {
            return new ServiceError(StatusCodes.Status401Unauthorized, "invalid_api_key", key is null ? "The API key is not valid." : "This API key was revoked.");
        }

        var workspace = await workspaces.FindAsync(key.WorkspaceId, cancellationToken);
        if (workspace is null)
        {
            return new ServiceError(StatusCodes.Status401Unauthorized, "invalid_api_key", "The API key is not valid.");
        }

        await keys.TouchAsync(key.Id, Now, cancellationToken);
        return ServiceResult.Ok((key, workspace));
    }
}
