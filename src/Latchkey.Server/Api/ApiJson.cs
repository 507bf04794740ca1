using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Json;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Api;

/// <summary>Reading request bodies strictly (a wrong type is an error naming the field) and writing rows as snake_case JSON.</summary>
public static class ApiJson
{
    public static async Task<(JsonObject? Body, ServiceError? Error)> ReadObjectAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new ServiceError(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Send the body as application/json."));
        }

        // One strict reader for every body: repeated members and strings that are not valid Unicode are a 400 here,
        // not an exception at first use.
        var (body, error) = await StrictJson.ReadObjectAsync(request.Body, request.HttpContext.RequestAborted);
        return body is not null ? (body, null) : (null, new ServiceError(StatusCodes.Status400BadRequest, "invalid_json", error!));
    }

    public static (string? Value, ServiceError? Error) Text(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        var node = body[name];
        if (node is null)
        {
            return (null, null);
        }

        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? (v.GetValue<string>(), null)
            : (null, ServiceError.Invalid(name, $"{name} must be a string."));
    }

    public static (bool? Value, ServiceError? Error) Flag(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        var node = body[name];
        if (node is null)
        {
            return (null, null);
        }

        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? (v.GetValue<bool>(), null)
            : (null, ServiceError.Invalid(name, $"{name} must be true or false."));
    }

    /// <summary>A whole number of days; JSON null means "no limit" and is returned as 0.</summary>
    public static (long? Value, ServiceError? Error) Days(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!body.ContainsKey(name))
        {
            return (null, null);
        }

        var node = body[name];
        if (node is null)
        {
            return (0, null);
        }

        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var days) && days >= 0
            ? (days, null)
            : (null, ServiceError.Invalid(name, $"{name} must be a whole number of days, or null for none."));
    }

    public static (IReadOnlyList<string>? Value, ServiceError? Error) StringArray(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        var node = body[name];
        if (node is null)
        {
            return (null, null);
        }

        if (node is not JsonArray array || array.Any(e => e is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String))
        {
            return (null, ServiceError.Invalid(name, $"{name} must be an array of strings."));
        }

        return ([.. array.Select(e => e!.GetValue<string>())], null);
    }

    public static string? Time(long? unixMs)
        => unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : null;

    public static JsonObject Workspace(WorkspaceRow w)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new JsonObject { ["id"] = w.Id, ["name"] = w.Name, ["plan_type"] = w.PlanType, ["created_at"] = Time(w.CreatedAt) };
    }

    public static JsonObject Policies(WorkspaceRow w)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new JsonObject
        {
            ["local_access_enabled"] = w.LocalAccessEnabled,
            ["device_sign_in_enabled"] = w.DeviceSignInEnabled,
            ["require_passkey"] = w.RequirePasskey,
            ["member_access_tokens_enabled"] = w.MemberAccessTokensEnabled,
            ["access_token_max_days"] = w.AccessTokenMaxDays,
            ["audit_retention_days"] = w.AuditRetentionDays,
            ["api_usage_retention_days"] = w.ApiUsageRetentionDays,
        };
    }

    public static JsonObject Member(MemberRow m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new JsonObject { ["user_id"] = m.UserId, ["email"] = m.Email, ["role"] = m.Role, ["joined_at"] = Time(m.CreatedAt) };
    }

    public static JsonObject Role(CustomRoleRow r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new JsonObject { ["id"] = r.Id, ["name"] = r.Name, ["permissions"] = new JsonArray([.. r.PermissionList.Select(p => (JsonNode)p)]) };
    }

    public static JsonObject Invitation(InvitationRow i)
    {
        ArgumentNullException.ThrowIfNull(i);
        return new JsonObject { ["id"] = i.Id, ["email"] = i.Email, ["role"] = i.Role, ["created_at"] = Time(i.CreatedAt), ["expires_at"] = Time(i.ExpiresAt) };
    }

    public static JsonObject AccessToken(AccessTokenRow t, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new JsonObject
        {
            ["id"] = t.Id,
            ["name"] = t.Name,
            ["masked"] = t.DisplayMask,
            ["creator_id"] = t.UserId,
            ["creator_email"] = t.CreatorEmail,
            ["created_at"] = Time(t.CreatedAt),
            ["expires_at"] = Time(t.ExpiresAt),
            ["last_used_at"] = Time(t.LastUsedAt),
            ["last_used_ip"] = t.LastUsedIp,
            ["status"] = AccessTokenService.Status(t, now),
            ["revoked_at"] = Time(t.RevokedAt),
            ["replaces_id"] = t.ReplacesId,
        };
    }

    public static JsonObject ApiKey(ApiKeyRow k)
    {
        ArgumentNullException.ThrowIfNull(k);
        return new JsonObject
        {
            ["id"] = k.Id,
            ["name"] = k.Name,
            ["masked"] = k.DisplayMask,
            ["created_by"] = k.CreatedBy,
            ["creator_email"] = k.CreatorEmail,
            ["created_at"] = Time(k.CreatedAt),
            ["last_used_at"] = Time(k.LastUsedAt),
            ["status"] = k.RevokedAt is null ? "active" : "revoked",
            ["revoked_at"] = Time(k.RevokedAt),
        };
    }

    public static JsonObject AuditEvent(AuditEventRow e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new JsonObject
        {
            ["id"] = e.Id,
            ["occurred_at"] = Time(e.OccurredAt),
            ["event_type"] = e.EventType,
            ["user_id"] = e.UserId,
            ["user_email"] = e.UserEmail,
            ["workspace_id"] = e.WorkspaceId,
            ["client_id"] = e.ClientId,
            ["ip_address"] = e.IpAddress,
            ["detail"] = e.Detail is null ? null : JsonNode.Parse(e.Detail),
        };
    }
}
