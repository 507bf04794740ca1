using System.Globalization;
using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using T = Latchkey.Server.Audit.AuditEventTypes;

namespace Latchkey.Server.Pages.Console;

/// <summary>
/// One readable sentence per audit event, with names instead of ids and dates instead of epoch milliseconds. The
/// stored JSON is unchanged (exports and the API still carry it); this is only how the console shows it.
/// </summary>
public static class AuditSentences
{
    /// <summary>Every known event type, grouped by its prefix, for the filter's picker.</summary>
    public static IReadOnlyList<(string Group, IReadOnlyList<string> Types)> KnownTypes { get; } =
        typeof(AuditEventTypes).GetFields()
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .GroupBy(t => t.Contains('.', StringComparison.Ordinal) ? t[..(t.IndexOf('.', StringComparison.Ordinal) + 1)] : t)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<string>)[.. g.OrderBy(t => t, StringComparer.Ordinal)]))
            .ToList();

    public static string Describe(AuditEventRow e, AuditNames names)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(names);
        JsonObject d;
        try
        {
            d = (e.Detail is null ? null : JsonNode.Parse(e.Detail) as JsonObject) ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            d = [];
        }

        string S(string key) => d[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
        long? N(string key) => d[key] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
        bool? B(string key) => d[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
        string Token() => d["name"] is not null ? $"“{S("name")}”" : names.Tokens.TryGetValue(S("token_id"), out var n) ? $"“{n}”" : "a deleted token";
        string Key() => d["name"] is not null ? $"“{S("name")}”" : names.Keys.TryGetValue(S("key_id"), out var n) ? $"“{n}”" : "an API key";
        string Client() => e.ClientId is null ? "an app" : names.Client(e.ClientId) ?? e.ClientId;

        return e.EventType switch
        {
            T.SetupCompleted => "Set up this Latchkey server as its first owner.",
            T.SignInSucceeded => "Signed in.",
            T.SignInFailed => S("reason") switch
            {
                "password" => "Sign-in failed: wrong email or password.",
                "account_disabled" => "Sign-in refused: the account is disabled.",
                var r => $"Sign-in failed ({r.Replace('_', ' ')}).",
            },
            T.SignInLockedOut => "Sign-in refused: too many failed attempts, locked for a while.",
            T.MfaEnrolled => "Turned on two-factor authentication.",
            T.MfaFailed => "Entered a wrong two-factor code.",
            T.RecoveryCodeUsed => "Signed in with a recovery code.",
            T.RecoveryCodesRegenerated => "Made new recovery codes (the old ones stopped working).",
            T.SignedOut => "Signed out.",
            T.EmailVerified => "Email address verified" + (S("method") is { Length: > 0 } m ? $" ({m.Replace('_', ' ')})." : "."),
            T.AccountDisabled => $"Account disabled by {Or(S("by"), "an operator")}; {N("access_tokens_revoked") ?? 0} access tokens revoked.",
            T.AccountEnabled => $"Account enabled again by {Or(S("by"), "an operator")}.",
            T.GrantCreated => $"Signed in to {Client()}.",
            T.GrantRevoked => $"A sign-in to {Client()} was ended ({Or(S("reason"), "revoked").Replace('_', ' ')}).",
            T.AuthorizationCodeReplayed => "An authorization code was used twice; the sign-in it had made was ended.",
            T.RefreshTokenReuseDetected => "An old refresh token was used again; the sign-in was ended to be safe.",
            T.DeviceApproved => $"Approved a device sign-in for {Client()}.",
            T.DeviceDenied => $"Denied a device sign-in for {Client()}.",
            T.SigningKeyRotated => "The server's signing key was rotated.",
            T.WorkspaceCreated => $"Created the workspace “{S("name")}”.",
            T.WorkspaceRenamed => $"Renamed the workspace from “{S("from")}” to “{S("to")}”.",
            T.MemberInvited => $"Invited {Or(S("email"), "anyone with the link")} as {names.Role(S("role"))}.",
            T.InvitationRevoked => "Revoked an invitation.",
            T.MemberJoined => $"Joined the workspace as {names.Role(S("role"))}.",
            T.RoleChanged => $"Changed {names.Person(S("member_id"))}’s role from {names.Role(S("from"))} to {names.Role(S("to"))}.",
            T.MemberRemoved => $"Removed {names.Person(S("member_id"))} from the workspace.",
            T.CustomRoleSaved => $"Saved the role “{S("name")}”: {PermissionsText(S("permissions"))}.",
            T.CustomRoleDeleted => $"Deleted the role {names.Role(S("role_id"))}.",
            T.PolicyChanged => "Changed policies: " + string.Join("; ", d.Select(kv => PolicyText(kv.Key, kv.Value))) + ".",
            T.AccessTokenCreated => $"Created the access token {Token()}, " + (N("expires_at") is { } x ? "expiring " + Date(x) : "never expiring") + ".",
            T.AccessTokenUsed => $"Used the access token {Token()}" + (S("purpose") is { Length: > 0 } p ? $" ({p.Replace('_', ' ')})." : "."),
            T.AccessTokenRefused => $"The access token {Token()} was refused: {Reason(S("reason"))}.",
            T.AccessTokenRevoked => $"Revoked {Whose(names, S("creator_id"), e.UserId)} access token {Token()}.",
            T.AccessTokenRotated => $"Rotated the access token {Token()}: the old one stopped working.",
            T.ApiKeyCreated => $"Created the API key {Key()}.",
            T.ApiKeyRevoked => $"Revoked the API key {Key()}.",
            T.LocalAccessDenied => "Local use refused: the workspace's policy turns it off for members" + (S("stage") is { Length: > 0 } st ? $" (at {st.Replace('_', ' ')})." : "."),
            T.PasswordChanged => "Changed their password; their other sessions were signed out.",
            T.DeviceSignInSettingChanged => B("enabled") == true ? "Turned device sign-in on for their account." : "Turned device sign-in off for their account.",
            T.GatewayRequest => $"{S("method")} {S("path")} → {N("status")}" + (S("model") is { Length: > 0 } model ? $", model {model}" : string.Empty) + $", {N("duration_ms") ?? 0} ms.",
            T.WebSessionEnded => "Signed out one of their browser sessions.",
            T.SignedOutEverywhere => "Signed out everywhere: every browser session and CLI or app sign-in.",
            T.SsoDomainRemoved => $"Removed {S("domain")} from single sign-on.",
            T.PasskeyAdded => $"Added the passkey “{S("name")}”.",
            T.PasskeyRemoved => $"Removed the passkey “{S("name")}”.",
            T.PasskeyRequiredRefusal => "A CLI or app sign-in was refused: the workspace requires a passkey, and it was not signed in with one" + (S("stage") is { Length: > 0 } ps ? $" (at {ps.Replace('_', ' ')})." : "."),
            _ => string.Join(", ", d.Select(kv => $"{kv.Key.Replace('_', ' ')}: {Value(kv.Key, kv.Value)}")),
        };
    }

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;

    private static string Whose(AuditNames names, string creatorId, string? actorId)
        => creatorId.Length == 0 ? "an" : creatorId == actorId ? "their own" : names.Person(creatorId) + "’s";

    private static string Reason(string code) => code switch
    {
        AccessRules.LocalAccessDisabledCode => "local use is turned off for members by the workspace's policy",
        "creator_not_member" => "its creator is no longer a member",
        "" => "refused",
        _ => code.Replace('_', ' '),
    };

    private static string PermissionsText(string permissions)
    {
        var list = permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return list.Length == 0 ? "no permissions beyond members'" : string.Join(", ", list.Select(p => Permissions.Describe(p).ToLowerInvariant()));
    }

    private static string PolicyText(string key, JsonNode? change)
    {
        var label = key switch
        {
            "local_access_enabled" => "local use by members",
            "device_sign_in_enabled" => "device sign-in",
            "member_access_tokens_enabled" => "members' access tokens",
            "access_token_max_days" => "access-token limit",
            "audit_retention_days" => "audit retention",
            "api_usage_retention_days" => "API-usage retention",
            "require_passkey" => "passkeys required for CLI sign-in",
            _ => key.Replace('_', ' '),
        };
        string Side(JsonNode? v) => v switch
        {
            null => key.EndsWith("_days", StringComparison.Ordinal) ? "none" : "unset",
            JsonValue b when b.TryGetValue<bool>(out var on) => on ? "on" : "off",
            JsonValue n when n.TryGetValue<long>(out var days) => days == 1 ? "1 day" : $"{days.ToString(CultureInfo.InvariantCulture)} days",
            _ => v.ToJsonString(),
        };
        return change is JsonObject fromTo ? $"{label} {Side(fromTo["from"])} → {Side(fromTo["to"])}" : $"{label} {Side(change)}";
    }

    private static string Value(string key, JsonNode? value) => value switch
    {
        JsonValue v when key.EndsWith("_at", StringComparison.Ordinal) && v.TryGetValue<long>(out var ms) => Date(ms),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        null => "none",
        _ => value.ToJsonString(),
    };

    private static string Date(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
