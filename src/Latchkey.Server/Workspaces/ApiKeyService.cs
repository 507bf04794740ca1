using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>Workspace API keys (`sk-lk-…`): created, listed and revoked by owners and admins, stored as digests, shown once.</summary>
public sealed class ApiKeyService(ApiKeyRepository keys, AuditLog audit, TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<ServiceResult<(ApiKeyRow Key, string Secret)>> CreateAsync(WorkspaceAccess actor, string? name, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.CreateApiKey).ToError() is { } refused)
        {
            return refused;
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
            DisplayMask = TokenFormat.Mask(secret),
        };
        await keys.CreateAsync(row, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.ApiKeyCreated, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["key_id"] = row.Id, ["name"] = row.Name }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((row, secret));
    }

    public async Task<ServiceResult<IReadOnlyList<ApiKeyRow>>> ListAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Decide(WorkspaceAction.ListApiKeys).ToError() is { } refused
            ? refused
            : ServiceResult.Ok(await keys.ListAsync(actor.WorkspaceId, cancellationToken));
    }

    public async Task<ServiceResult<bool>> RevokeAsync(WorkspaceAccess actor, string keyId, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.RevokeApiKey).ToError() is { } refused)
        {
            return refused;
        }

        if (!await keys.RevokeAsync(actor.WorkspaceId, keyId, actor.UserId, Now, cancellationToken))
        {
            return ServiceError.NotFound("API key");
        }

        await audit.WriteAsync(AuditEventTypes.ApiKeyRevoked, actor.UserId, actor.WorkspaceId, ipAddress: ip, detail: new JsonObject { ["key_id"] = keyId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }
}
