using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// Where a local client (the CLI, Codex, the client library) would get or use tokens — authorization, code and device
/// exchange, refresh, device approval, bearer use — the decision table (<see cref="AccessRules"/>) is asked, and a
/// denial by the local-access policy is recorded here, the one place that writes <c>local_access.denied</c>. Where
/// tokens are handed out, the MFA rule for local clients (<see cref="CliMfaRule"/>) is asked too.
/// </summary>
public sealed class LocalAccessGate(WorkspaceAccessService access, CliMfaRule mfaRule, AuditLog audit)
{
    /// <summary>Null when allowed; otherwise the refusal (403 with the workspace's message), already recorded.</summary>
    /// <remarks><paramref name="amr"/>: how the sign-in asking for tokens signed in (the phishing-resistant MFA policy).</remarks>
    public Task<ServiceError?> CheckAsync(string userId, string workspaceId, string? clientId, string? ip, string stage, string? amr, CancellationToken cancellationToken)
        => CheckAsync(WorkspaceAction.UseLocally, new AccessTarget { SignInAmr = amr }, userId, workspaceId, clientId, ip, stage, cancellationToken);

    public async Task<ServiceError?> CheckAsync(
        WorkspaceAction action, AccessTarget target, string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
        => await CheckAsync(await access.GetAsync(userId, workspaceId, cancellationToken), () => mfaRule.CheckAsync(userId, cancellationToken),
            action, target, userId, workspaceId, clientId, ip, stage, cancellationToken);

    /// <summary>
    /// The same decision, made from a standing the caller read in its own query and transaction (the code exchange
    /// reads the code, the account, the membership and its workspace in one), without writing anything: null when
    /// allowed. The caller records a refusal with <see cref="RecordAsync(LocalAccessRefusal, string, string, string?, string?, string, CancellationToken)"/>
    /// once its transaction has ended.
    /// </summary>
    public static LocalAccessRefusal? Decide(MemberStandingRow standing, WorkspaceAction action, AccessTarget target)
    {
        ArgumentNullException.ThrowIfNull(standing);
        ArgumentNullException.ThrowIfNull(target);
        var decision = AccessRules.Decide(WorkspaceAccessService.From(standing), action, target);
        if (!decision.IsAllowed)
        {
            return LocalAccessRefusal.ByPolicy(decision);
        }

        return AppliesMfaRule(action, target) && CliMfaRule.Decide(standing.HasPassword, standing.HasMfa) is { } mfa ? LocalAccessRefusal.ByMfaRule(mfa) : null;
    }

    /// <summary>Records a refusal from <see cref="Decide"/> as <see cref="CheckAsync(WorkspaceAction, AccessTarget, string, string, string?, string?, string, CancellationToken)"/> would have, and returns it.</summary>
    public async Task<ServiceError> RecordAsync(LocalAccessRefusal refusal, string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        if (refusal.Decision is { } decision)
        {
            return (await RecordAsync(decision, userId, workspaceId, clientId, ip, stage, cancellationToken))!;
        }

        await RecordMfaRequiredAsync(userId, workspaceId, clientId, ip, stage, cancellationToken);
        return refusal.MfaRequired!;
    }

    private Task RecordMfaRequiredAsync(string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
        => audit.WriteAsync(AuditEventTypes.MfaRequiredRefusal, userId, workspaceId, clientId, ip, new JsonObject { ["stage"] = stage }, cancellationToken);

    private static bool AppliesMfaRule(WorkspaceAction action, AccessTarget target)
        => action is WorkspaceAction.UseLocally or WorkspaceAction.SignInWithDevice && target.LocalClient;

    private async Task<ServiceError?> CheckAsync(
        WorkspaceAccess? member, Func<Task<ServiceError?>> mfaCheck, WorkspaceAction action, AccessTarget target, string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var decision = AccessRules.Decide(member, action, target);
        var refusal = await RecordAsync(decision, userId, workspaceId, clientId, ip, stage, cancellationToken);

        // Then the MFA rule where a local client would be handed tokens: an account with a password and no second factor
        // gets none, however it signed in (audited as mfa.required_refusal).
        if (refusal is null && AppliesMfaRule(action, target) && await mfaCheck() is { } mfa)
        {
            await RecordMfaRequiredAsync(userId, workspaceId, clientId, ip, stage, cancellationToken);
            return mfa;
        }

        return refusal;
    }

    /// <summary>For callers that decided from rows they already hold (the refresh grant, the bearer front door).</summary>
    public async Task<ServiceError?> RecordAsync(AccessDecision decision, string userId, string workspaceId, string? clientId, string? ip, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Code == AccessRules.LocalAccessDisabledCode)
        {
            await audit.WriteAsync(AuditEventTypes.LocalAccessDenied, userId, workspaceId, clientId, ip, new JsonObject { ["stage"] = stage }, cancellationToken);
        }
        else if (decision.Code == AccessRules.PasskeyRequiredCode)
        {
            await audit.WriteAsync(AuditEventTypes.PasskeyRequiredRefusal, userId, workspaceId, clientId, ip, new JsonObject { ["stage"] = stage }, cancellationToken);
        }

        return decision.ToError();
    }
}

/// <summary>A refusal decided inside a caller's transaction, recorded after it: by the policy table, or by the MFA rule.</summary>
public sealed class LocalAccessRefusal
{
    private LocalAccessRefusal(AccessDecision? decision, ServiceError? mfaRequired) => (Decision, MfaRequired) = (decision, mfaRequired);

    /// <summary>The policy table's refusal; null when the MFA rule refused.</summary>
    public AccessDecision? Decision { get; }

    /// <summary>The MFA rule's refusal; null when the policy table refused.</summary>
    public ServiceError? MfaRequired { get; }

    public static LocalAccessRefusal ByPolicy(AccessDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return decision.IsAllowed ? throw new ArgumentException("An allowed decision is not a refusal.", nameof(decision)) : new(decision, null);
    }

    public static LocalAccessRefusal ByMfaRule(ServiceError mfaRequired) => new(null, mfaRequired ?? throw new ArgumentNullException(nameof(mfaRequired)));
}
