using System.Text.Json.Nodes;
using Latchkey.Server.Workspaces;
using Latchkey.Server.Web;

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
        app.MapGet(Path, async (HttpContext c, AccessTokenService tokens) =>
        {
            var bearer = BearerToken.From(c.Request);
            var client = c.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 100)] : null;
            var use = await tokens.AuthenticateAsync(bearer, client, c.Connection.RemoteIpAddress?.ToString(), "whoami", recordUse: true, c.RequestAborted);
            c.Response.Headers.CacheControl = "no-store";
            if (!use.Succeeded && CodexRefusalRelay.ShouldRelay(c.Request, use.Error!))
            {
                return ApiResults.Json(CodexRefusalRelay.AnonymousMetadata());
            }

            if (!use.Succeeded)
            {
                if (use.Error!.Status == StatusCodes.Status401Unauthorized)
                {
                    c.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\", error=\"invalid_token\"";
                }

                return ApiResults.Problem(use.Error);
            }

            var (token, user, access) = use.Value!;
            return ApiResults.Json(new JsonObject
            {
                ["email"] = user.Email,
                ["chatgpt_user_id"] = user.Id,
                ["chatgpt_account_id"] = token.WorkspaceId,
                ["chatgpt_plan_type"] = access.Workspace.PlanType,
                ["chatgpt_account_is_fedramp"] = false,
                ["expires_at"] = ApiJson.Time(token.ExpiresAt),
            });
        }).DisableAntiforgery();
    }
}
