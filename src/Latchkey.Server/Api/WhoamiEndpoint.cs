using System.Text.Json.Nodes;
using Latchkey.Server.OAuth;

namespace Latchkey.Server.Api;

/// <summary>
/// GET /api/accounts/v1/user-auth-credential/whoami — the Codex access-token check (codex-compat.md). The Codex
/// CLI and `latchkey` call it at login and at every run start with `Bearer at-…`; each call is the full check
/// (revoked, expired, creator still a member, local access) and is recorded.
/// </summary>
public static class WhoamiEndpoint
{
    public const string Path = "/api/accounts/v1/user-auth-credential/whoami";

    public static void MapWhoami(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Path, async (HttpContext c) =>
        {
            var (caller, refusal) = await c.GetCallerAsync(BearerUse.Whoami);
            c.Response.Headers.CacheControl = "no-store";
            if (caller is null)
            {
                return ApiResults.Problem(refusal!);
            }

            return ApiResults.Json(new JsonObject
            {
                ["email"] = caller.Email,
                ["chatgpt_user_id"] = caller.UserId,
                ["chatgpt_account_id"] = caller.WorkspaceId,
                ["chatgpt_plan_type"] = caller.Workspace.PlanType,
                ["chatgpt_account_is_fedramp"] = false,
                ["expires_at"] = ApiJson.Time(caller.ExpiresAt),
            });
        }).DisableAntiforgery();
    }
}
