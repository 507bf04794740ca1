using Latchkey.Protocol.OAuth;
using Latchkey.Server.Common;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Workspaces;
using Latchkey.Server.Web;

namespace Latchkey.Server.Gateway;

/// <summary>Who is calling the gateway, with which credential, for which workspace; or why they may not.</summary>
public sealed record GatewayCaller(string? UserId, string WorkspaceId, string CredentialKind, string CredentialId, string ClientId)
{
    public static async Task<(GatewayCaller? Caller, ServiceError? Error)> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.RequestServices;
        var cancellationToken = context.RequestAborted;
        var bearer = BearerToken.From(context.Request);
        switch (CredentialKinds.Classify(bearer))
        {
            case CredentialKinds.SignIn:
                // A Latchkey OAuth access token: signature, expiry, and a grant that has not been revoked.
                var token = await services.GetRequiredService<AccessTokenValidator>().ValidateAsync(bearer, cancellationToken);
                if (token is null)
                {
                    return (null, new ServiceError(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is invalid, expired or revoked. Sign in again."));
                }

                var grant = token.Grant;
                var member = await services.GetRequiredService<WorkspaceAccessService>().GetAsync(grant.UserId, grant.WorkspaceId, cancellationToken);
                if (member is null)
                {
                    return (null, new ServiceError(StatusCodes.Status401Unauthorized, "not_a_member", "You are no longer a member of this workspace."));
                }

                // Local clients (the CLI, Codex) and access-token exchanges are "local use"; a confidential web app is not.
                var isLocal = grant.ClientId == AccessTokenRepository.GrantClientId || services.GetRequiredService<ClientRegistry>().Find(grant.ClientId)?.IsLocal != false;
                if (isLocal && !member.MayUseLocally)
                {
                    return (null, new ServiceError(StatusCodes.Status403Forbidden, "local_access_disabled", WorkspaceAccess.LocalAccessDeniedMessage));
                }

                return (new GatewayCaller(grant.UserId, grant.WorkspaceId, "oauth", grant.Id, grant.ClientId), null);
            case CredentialKinds.AccessToken:
                var use = await services.GetRequiredService<AccessTokenService>().AuthenticateAsync(
                    bearer, "gateway", context.Connection.RemoteIpAddress?.ToString(), "gateway", recordUse: false, cancellationToken);
                return use.Succeeded
                    ? (new GatewayCaller(use.Value!.User.Id, use.Value.Token.WorkspaceId, CredentialKinds.AccessToken, use.Value.Token.Id, "access_token"), null)
                    : (null, use.Error);
            case CredentialKinds.ApiKey:
                // API keys follow the workspace's API settings, not its member policies.
                var key = await services.GetRequiredService<ApiKeyService>().AuthenticateAsync(bearer, cancellationToken);
                return key.Succeeded
                    ? (new GatewayCaller(null, key.Value.Key.WorkspaceId, CredentialKinds.ApiKey, key.Value.Key.Id, CredentialKinds.ApiKey), null)
                    : (null, key.Error);
            default:
                return (null, new ServiceError(StatusCodes.Status401Unauthorized, "missing_credential",
                    "No credential reached Latchkey. Sign in (`codex login --device-auth`, `latchkey login`) or send `Authorization: Bearer` with a sign-in token, an access token (at-…) or an API key (sk-lk-…)."));
        }
    }
}
