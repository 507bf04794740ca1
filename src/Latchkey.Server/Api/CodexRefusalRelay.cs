using System.Text.Json.Nodes;
using Latchkey.Server.Common;

namespace Latchkey.Server.Api;

/// <summary>
/// Carries an access-token refusal into the Codex CLI's own output. Codex 0.169.0 calls whoami at every run start
/// and, when it is refused, drops the `at-` token silently and sends its model requests with no credential, so the
/// person never reads why (codex-compat.md). For a token Latchkey knows but refuses (revoked, expired, creator gone,
/// local access off) and a codex run (an `originator` header other than the login command's), whoami answers with
/// metadata that names nobody; codex keeps the token, and the gateway's refusal of it — the same check, the same
/// message — is what codex prints. Nothing is granted: the gateway and every other endpoint still refuse the token.
/// Unknown tokens, non-codex callers (the latchkey CLI reads the problem body) and `codex login --with-access-token`
/// (originator `codex_cli_rs`, which must fail) get the refusal itself.
/// </summary>
public static class CodexRefusalRelay
{
    /// <summary>The originator of `codex login`; its whoami call must fail for a refused token so nothing is saved.</summary>
    public const string LoginOriginator = "codex_cli_rs";

    private static readonly string[] RelayedCodes = ["token_revoked", "token_expired", "creator_not_member", "local_access_disabled"];

    public static bool ShouldRelay(HttpRequest request, ServiceError refusal)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(refusal);
        var originator = request.Headers["originator"].ToString();
        return originator.Length > 0 && originator != LoginOriginator && RelayedCodes.Contains(refusal.Code, StringComparer.Ordinal);
    }

    /// <summary>The fields codex requires, naming no one: a refused token's owner is not disclosed to its holder.</summary>
    public static JsonObject AnonymousMetadata() => new()
    {
        ["email"] = null,
        ["chatgpt_user_id"] = string.Empty,
        ["chatgpt_account_id"] = string.Empty,
        ["chatgpt_plan_type"] = "unknown",
        ["chatgpt_account_is_fedramp"] = false,
    };
}
