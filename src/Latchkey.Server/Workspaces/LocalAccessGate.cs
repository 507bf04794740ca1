using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// "Allow members to use Latchkey locally", and the MFA rule for local clients (<see cref="CliMfaRule"/>). Consulted wherever a local client (the CLI, Codex, the client library)
/// would get or use tokens: authorization, code and device exchange, refresh, device approval. Refusals are audited.
/// </summary>
public sealed class LocalAccessGate(WorkspaceAccessService access, CliMfaRule mfaRule, AuditLog audit)
{
    /// <summary>Null when allowed; otherwise the refusal (403 with the standard message), already recorded.</summary>
    public async Task<ServiceError?> CheckAsync(string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
    {
        var refusal = Decide(await access.GetAsync(userId, workspaceId, cancellationToken));
        if (refusal is null && await mfaRule.CheckAsync(userId, cancellationToken) is { } mfa)
        {
            await audit.WriteAsync(AuditEventTypes.MfaRequiredRefusal, userId, workspaceId, clientId, ip, new JsonObject { ["stage"] = stage }, cancellationToken);
            return mfa;
        }

        if (refusal is not { Code: "local_access_disabled" })
        {
            return refusal;
        }

        await audit.WriteAsync(AuditEventTypes.LocalAccessDenied, userId, workspaceId, clientId, ip, new JsonObject { ["stage"] = stage }, cancellationToken);
        return refusal;
    }

    /// <summary>The decision alone, for callers that already hold the member's standing (null: allowed). Not audited.</summary>
    public static ServiceError? Decide(WorkspaceAccess? member) => member switch
    {
        null => new ServiceError(StatusCodes.Status403Forbidden, "not_a_member", "You are not a member of this workspace."),
        { MayUseLocally: true } => null,
        _ => new ServiceError(StatusCodes.Status403Forbidden, "local_access_disabled", WorkspaceAccess.LocalAccessDeniedMessage),
    };
}
