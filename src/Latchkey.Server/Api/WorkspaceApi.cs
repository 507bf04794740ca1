using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Api;

/// <summary>
/// The JSON API under /api/v1: the console's operations for automation and tests, through the same services and
/// so under the same permission rules. Errors are RFC 9457 ProblemDetails with a stable `code`.
/// </summary>
public static class WorkspaceApi
{
    private const string AccessItem = "latchkey.workspace_access";

    public static void MapLatchkeyApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api/v1").DisableAntiforgery().WithMetadata(ClientErrorFormat.Problem, RequestBodyLimit.Default);
        api.MapGet("/me", async (HttpContext c, WorkspaceRepository workspaces) =>
        {
            var (caller, refusal) = await c.GetCallerAsync(BearerUse.Api);
            if (caller is null)
            {
                return ApiResults.Problem(refusal!);
            }

            var memberships = await workspaces.ListForUserAsync(caller.UserId!, c.RequestAborted);
            return ApiResults.Json(new JsonObject
            {
                ["user_id"] = caller.UserId,
                ["email"] = caller.Email,
                ["workspace_id"] = caller.WorkspaceId,
                ["credential"] = caller.CredentialKind,
                ["workspaces"] = new JsonArray([.. memberships.Select(m => (JsonNode)new JsonObject { ["id"] = m.WorkspaceId, ["name"] = m.WorkspaceName, ["role"] = m.Role })]),
            });
        });

        api.MapPost("/workspaces", async (HttpContext c, WorkspaceAdminService admin) =>
        {
            var (caller, refusal) = await c.GetCallerAsync(BearerUse.Api);
            if (caller is null)
            {
                return ApiResults.Problem(refusal!);
            }

            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (name, nameError) = body is null ? (null, null) : ApiJson.Text(body, "name");
            if ((error ?? nameError) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.From(await admin.CreateWorkspaceAsync(caller.UserId!, name, Ip(c), c.RequestAborted), ApiJson.Workspace, StatusCodes.Status201Created);
        });

        var ws = api.MapGroup("/workspaces/{workspaceId}").AddEndpointFilter(async (context, next) =>
        {
            var c = context.HttpContext;
            var (caller, refusal) = await c.GetCallerAsync(BearerUse.Api);
            if (caller is null)
            {
                return ApiResults.Problem(refusal!);
            }

            // A credential is tied to its workspace; another workspace's id answers exactly as a missing one. The
            // caller's standing was read with the credential, in the same query, so it is never a second read.
            var access = c.Request.RouteValues["workspaceId"] as string == caller.WorkspaceId ? caller.Member : null;
            if (access is null)
            {
                return ApiResults.Problem(ServiceError.NotFound("Workspace"));
            }

            c.Items[AccessItem] = access;
            return await next(context);
        });

        ws.MapGet("", (HttpContext c) =>
        {
            var a = Access(c);
            var body = ApiJson.Workspace(a.Workspace);
            body["role"] = a.Role;
            body["permissions"] = new JsonArray([.. Permissions.All.Where(a.Has).Select(p => (JsonNode)p)]);
            return ApiResults.Json(body);
        });

        ws.MapPatch("", async (HttpContext c, WorkspaceNaming naming) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (name, nameError) = body is null ? (null, null) : ApiJson.Text(body, "name");
            if ((error ?? nameError) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.From(await naming.RenameAsync(Access(c), name, Ip(c), c.RequestAborted), ApiJson.Workspace);
        });

        MapMembers(ws);
        MapRoles(ws);
        MapPolicies(ws);
        MapAccessTokens(ws);
        MapApiKeys(ws);
        MapAudit(ws);
    }

    private static void MapMembers(RouteGroupBuilder ws)
    {
        ws.MapGet("/members", async (HttpContext c, WorkspaceAdminService admin)
            => ApiResults.From(await admin.ListMembersAsync(Access(c), c.RequestAborted), rows => List("members", rows.Select(ApiJson.Member))));

        ws.MapPatch("/members/{userId}", async (HttpContext c, string userId, WorkspaceAdminService admin) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (role, roleError) = body is null ? (null, null) : ApiJson.Text(body, "role");
            if ((error ?? roleError) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.NoContent(await admin.ChangeRoleAsync(Access(c), userId, role, Ip(c), c.RequestAborted));
        });

        ws.MapDelete("/members/{userId}", async (HttpContext c, string userId, WorkspaceAdminService admin)
            => ApiResults.NoContent(await admin.RemoveMemberAsync(Access(c), userId, Ip(c), c.RequestAborted)));

        ws.MapGet("/invitations", async (HttpContext c, WorkspaceAdminService admin)
            => ApiResults.From(await admin.ListInvitationsAsync(Access(c), c.RequestAborted), rows => List("invitations", rows.Select(ApiJson.Invitation))));

        ws.MapPost("/invitations", async (HttpContext c, WorkspaceAdminService admin) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (email, emailError) = body is null ? (null, null) : ApiJson.Text(body, "email");
            var (role, roleError) = body is null ? (null, null) : ApiJson.Text(body, "role");
            if ((error ?? emailError ?? roleError) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.From(await admin.InviteAsync(Access(c), email, role, Ip(c), c.RequestAborted), r =>
            {
                var json = ApiJson.Invitation(r.Invitation);
                json["url"] = r.Url; // shown once: only its digest is stored
                return json;
            }, StatusCodes.Status201Created);
        });

        ws.MapDelete("/invitations/{invitationId}", async (HttpContext c, string invitationId, WorkspaceAdminService admin)
            => ApiResults.NoContent(await admin.RevokeInvitationAsync(Access(c), invitationId, Ip(c), c.RequestAborted)));
    }

    private static void MapRoles(RouteGroupBuilder ws)
    {
        ws.MapGet("/roles", async (HttpContext c, WorkspaceAdminService admin)
            => ApiResults.From(await admin.ListRolesAsync(Access(c), c.RequestAborted), rows => List("roles", rows.Select(ApiJson.Role))));

        ws.MapPost("/roles", (HttpContext c, WorkspaceAdminService admin) => SaveRoleAsync(c, admin, null));
        ws.MapPut("/roles/{roleId}", (HttpContext c, string roleId, WorkspaceAdminService admin) => SaveRoleAsync(c, admin, roleId));
        ws.MapDelete("/roles/{roleId}", async (HttpContext c, string roleId, WorkspaceAdminService admin)
            => ApiResults.NoContent(await admin.DeleteRoleAsync(Access(c), roleId, Ip(c), c.RequestAborted)));
    }

    private static async Task<IResult> SaveRoleAsync(HttpContext c, WorkspaceAdminService admin, string? roleId)
    {
        var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
        var (name, nameError) = body is null ? (null, null) : ApiJson.Text(body, "name");
        var (permissions, permissionsError) = body is null ? (null, null) : ApiJson.StringArray(body, "permissions");
        if ((error ?? nameError ?? permissionsError) is { } bad)
        {
            return ApiResults.Problem(bad);
        }

        return ApiResults.From(await admin.SaveRoleAsync(Access(c), roleId, name, permissions?.ToList(), Ip(c), c.RequestAborted), ApiJson.Role,
            roleId is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static void MapPolicies(RouteGroupBuilder ws)
    {
        ws.MapGet("/policies", (HttpContext c, WorkspaceAdminService admin) => ApiResults.From(admin.GetPolicies(Access(c)), ApiJson.Policies));

        ws.MapPatch("/policies", async (HttpContext c, WorkspaceAdminService admin) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            if (body is null)
            {
                return ApiResults.Problem(error!);
            }

            var known = new HashSet<string>(["local_access_enabled", "device_sign_in_enabled", "member_access_tokens_enabled", "access_token_max_days", "audit_retention_days", "api_usage_retention_days", "require_passkey"]);
            if (body.Select(kv => kv.Key).FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            {
                return ApiResults.Problem(ServiceError.Invalid(unknown, $"Unknown policy '{unknown}'. Known: {string.Join(", ", known)}."));
            }

            var (local, e1) = ApiJson.Flag(body, "local_access_enabled");
            var (device, e2) = ApiJson.Flag(body, "device_sign_in_enabled");
            var (tokens, e3) = ApiJson.Flag(body, "member_access_tokens_enabled");
            var (maxDays, e4) = ApiJson.Days(body, "access_token_max_days");
            var (auditDays, e5) = ApiJson.Days(body, "audit_retention_days");
            var (usageDays, e6) = ApiJson.Days(body, "api_usage_retention_days");
            var (passkey, e7) = ApiJson.Flag(body, "require_passkey");
            if ((e1 ?? e2 ?? e3 ?? e4 ?? e5 ?? e6 ?? e7) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            var change = new PolicyChange
            {
                LocalAccessEnabled = local,
                DeviceSignInEnabled = device,
                MemberAccessTokensEnabled = tokens,
                AccessTokenMaxDays = maxDays,
                AuditRetentionDays = auditDays,
                ApiUsageRetentionDays = usageDays,
                RequirePasskey = passkey,
            };
            return ApiResults.From(await admin.UpdatePoliciesAsync(Access(c), change, Ip(c), c.RequestAborted), ApiJson.Policies);
        });
    }

    private static void MapAccessTokens(RouteGroupBuilder ws)
    {
        ws.MapGet("/access-tokens", async (HttpContext c, AccessTokenService tokens, TimeProvider time)
            => ApiResults.From(await tokens.ListAsync(Access(c), c.RequestAborted), rows => List("access_tokens", rows.Select(t => ApiJson.AccessToken(t, time.GetUtcNow())))));

        ws.MapPost("/access-tokens", async (HttpContext c, AccessTokenService tokens, TimeProvider time) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (name, e1) = body is null ? (null, null) : ApiJson.Text(body, "name");
            var (expiration, e2) = body is null ? (null, null) : ApiJson.Text(body, "expiration");
            var (expiresAt, e3) = body is null ? (null, null) : ApiJson.Text(body, "expires_at");
            if ((error ?? e1 ?? e2 ?? e3) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.From(await tokens.CreateAsync(Access(c), name, expiration, expiresAt, Ip(c), c.RequestAborted), r => WithSecret(ApiJson.AccessToken(r.Token, time.GetUtcNow()), "token", r.Secret), StatusCodes.Status201Created);
        });

        ws.MapDelete("/access-tokens/{tokenId}", async (HttpContext c, string tokenId, AccessTokenService tokens)
            => ApiResults.NoContent(await tokens.RevokeAsync(Access(c), tokenId, Ip(c), c.RequestAborted)));

        ws.MapPost("/access-tokens/{tokenId}/rotate", async (HttpContext c, string tokenId, AccessTokenService tokens, TimeProvider time)
            => ApiResults.From(await tokens.RotateAsync(Access(c), tokenId, Ip(c), c.RequestAborted), r => WithSecret(ApiJson.AccessToken(r.Token, time.GetUtcNow()), "token", r.Secret), StatusCodes.Status201Created));
    }

    private static void MapApiKeys(RouteGroupBuilder ws)
    {
        ws.MapGet("/api-keys", async (HttpContext c, ApiKeyService keys)
            => ApiResults.From(await keys.ListAsync(Access(c), c.RequestAborted), rows => List("api_keys", rows.Select(ApiJson.ApiKey))));

        ws.MapPost("/api-keys", async (HttpContext c, ApiKeyService keys) =>
        {
            var (body, error) = await ApiJson.ReadObjectAsync(c.Request);
            var (name, nameError) = body is null ? (null, null) : ApiJson.Text(body, "name");
            if ((error ?? nameError) is { } bad)
            {
                return ApiResults.Problem(bad);
            }

            return ApiResults.From(await keys.CreateAsync(Access(c), name, Ip(c), c.RequestAborted), r => WithSecret(ApiJson.ApiKey(r.Key), "key", r.Secret), StatusCodes.Status201Created);
        });

        ws.MapDelete("/api-keys/{keyId}", async (HttpContext c, string keyId, ApiKeyService keys)
            => ApiResults.NoContent(await keys.RevokeAsync(Access(c), keyId, Ip(c), c.RequestAborted)));
    }

    private static void MapAudit(RouteGroupBuilder ws)
    {
        ws.MapGet("/audit", async (HttpContext c, AuditSearch audit) =>
        {
            var (query, error) = await audit.ParseAsync(Access(c), c.Request.Query, c.RequestAborted);
            if (query is null)
            {
                return ApiResults.Problem(error!);
            }

            var rows = await audit.SearchAsync(query, c.RequestAborted);
            var body = List("events", rows.Select(ApiJson.AuditEvent));
            body["next_before"] = rows.Count == query.Limit ? rows[^1].Id : null;
            return ApiResults.Json(body);
        });

        ws.MapGet("/audit/export", async (HttpContext c, AuditSearch audit) =>
        {
            var (query, error) = await audit.ParseAsync(Access(c), c.Request.Query, c.RequestAborted);
            var format = c.Request.Query["format"].ToString() is { Length: > 0 } f ? f : "json";
            if (query is null || format is not ("csv" or "json"))
            {
                return ApiResults.Problem(error ?? ServiceError.Invalid("format", "format must be csv or json."));
            }

            await audit.WriteExportAsync(c.Response, query with { Limit = int.MaxValue }, format, $"latchkey-audit-{Access(c).WorkspaceId}", c.RequestAborted);
            return Results.Empty;
        });
    }

    private static WorkspaceAccess Access(HttpContext c) => (WorkspaceAccess)c.Items[AccessItem]!;

    private static string? Ip(HttpContext c) => c.Connection.RemoteIpAddress?.ToString();

    private static JsonObject List(string name, IEnumerable<JsonObject> items) => new() { [name] = new JsonArray([.. items]) };

    private static JsonObject WithSecret(JsonObject json, string name, string secret)
    {
        json[name] = secret; // the only time the secret leaves the server: it is stored as a digest
        return json;
    }
}
