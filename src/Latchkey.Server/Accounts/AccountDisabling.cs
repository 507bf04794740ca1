using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Repositories;

namespace Latchkey.Server.Accounts;

/// <summary>
/// The operator's switch for an account (ASVS 5.0 §7.4.2: an administrator can end all of a user's sessions).
/// Disabling ends everything the account holds — every web session, every sign-in grant (CLI, Codex, apps), every
/// `at-` access token in every workspace — and refuses its sign-ins until it is enabled again. Enabling restores
/// nothing: the person signs in afresh and makes new tokens. Workspace API keys are not the person's and stay.
/// </summary>
public sealed class AccountDisabling(UserRepository users, AccountSessions sessions, AccessTokenRepository accessTokens, AuditLog audit, TimeProvider time)
{
    public const string Reason = "account_disabled";

    /// <summary>Null when no account has the address; otherwise whether it changed (false: it already was disabled).</summary>
    public async Task<bool?> DisableAsync(string email, string actor, CancellationToken cancellationToken)
    {
        var user = await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(email), cancellationToken);
        if (user is null)
        {
            return null;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = await users.SetDisabledAsync(user.Id, now, cancellationToken);

        // Run even when it already was disabled: a retried command still leaves nothing live.
        await sessions.EndAllAsync(user.Id, keepSessionId: null, Reason, ipAddress: null, cancellationToken);
        var tokens = await accessTokens.RevokeAllForUserAsync(user.Id, actor, Reason, now, cancellationToken);
        if (changed)
        {
            await audit.WriteAsync(AuditEventTypes.AccountDisabled, user.Id, detail: new JsonObject { ["by"] = actor, ["access_tokens_revoked"] = tokens }, cancellationToken: cancellationToken);
        }

        return changed;
    }

    public async Task<bool?> EnableAsync(string email, string actor, CancellationToken cancellationToken)
    {
        var user = await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(email), cancellationToken);
        if (user is null)
        {
            return null;
        }

        var changed = await users.SetDisabledAsync(user.Id, null, cancellationToken);
        if (changed)
        {
            await audit.WriteAsync(AuditEventTypes.AccountEnabled, user.Id, detail: new JsonObject { ["by"] = actor }, cancellationToken: cancellationToken);
        }

        return changed;
    }
}
