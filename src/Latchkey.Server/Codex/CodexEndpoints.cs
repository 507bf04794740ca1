using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Codex;

/// <summary>
/// The Codex CLI's own endpoints (codex-compat.md), on top of the same device codes, authorization codes and
/// grants as the standard flows. The Codex device flow is not RFC 8628 on the wire: the poll answers with an
/// authorization code and a PKCE pair the server made, which the client then exchanges at /oauth/token.
/// </summary>
public static class CodexEndpoints
{
    public const string DeviceCallbackPath = "/deviceauth/callback";

    public static void MapCodex(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<LatchkeyServerOptions>>().Value;
        if (!options.Codex.Enabled)
        {
            return;
        }

        app.MapPost("/api/accounts/deviceauth/usercode", UserCodeAsync).RequireRateLimiting("token").OAuthEndpoint();
        app.MapPost("/api/accounts/deviceauth/token", PollAsync).RequireRateLimiting("token").OAuthEndpoint();
        app.MapGet(DeviceCallbackPath, () => Results.Text("Sign-in complete. Return to your terminal.", "text/plain"));
        app.MapGet("/backend-api/wham/accounts/check", AccountsCheckAsync).OAuthEndpoint();
    }

    /// <summary>Step 1: `{client_id}` → `{device_auth_id, user_code, interval}`, interval a JSON string as the client requires.</summary>
    private static async Task<IResult> UserCodeAsync(HttpContext context, ClientRegistry clients, DeviceAuthorizationService devices, IOptions<LatchkeyServerOptions> options)
    {
        var (p, error) = await OAuthRequestReader.ReadAsync(context, allowJson: true, context.RequestAborted);
        if (p is null)
        {
            return OAuthResponses.Error(error!);
        }

        if (!options.Value.DeviceAuthorizationEnabled)
        {
            // 404 is what the Codex client reads as "device login is not enabled for this server".
            return OAuthResponses.Error(new OAuthError("not_found", "Device sign-in is switched off on this server.", StatusCodes.Status404NotFound));
        }

        var client = clients.Find(p["client_id"]);
        if (client is null || client.IsConfidential || !client.AllowDeviceCode)
        {
            return OAuthResponses.Error(OAuthError.InvalidClient("Unknown client, or one not allowed to use device sign-in."));
        }

        var created = await devices.CreateAsync(client, "openid profile email offline_access", context.RequestAborted);
        return OAuthResponses.Json(new JsonObject
        {
            ["device_auth_id"] = created["device_code"]!.GetValue<string>(),
            ["user_code"] = created["user_code"]!.GetValue<string>(),
            ["interval"] = created["interval"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["expires_in"] = created["expires_in"]!.GetValue<long>(),
            ["verification_uri"] = options.Value.ResolveIssuer() + "/codex/device",
        });
    }

    /// <summary>
    /// Step 3: 403 while pending (the client keeps polling on 403/404); once approved, one authorization code for
    /// `{issuer}/deviceauth/callback` with a PKCE pair made here. The device code is consumed, so this answers once.
    /// </summary>
    private static async Task<IResult> PollAsync(
        HttpContext context, IDbConnectionFactory db, DeviceCodeRepository deviceCodes, AuthorizationCodeService codes, IOptions<LatchkeyServerOptions> options, TimeProvider time)
    {
        var (p, error) = await OAuthRequestReader.ReadAsync(context, allowJson: true, context.RequestAborted);
        if (p is null)
        {
            return OAuthResponses.Error(error!);
        }

        var deviceAuthId = p["device_auth_id"];
        var userCode = UserCodes.Normalize(p["user_code"]);
        if (deviceAuthId is null || userCode is null)
        {
            return OAuthResponses.Error(OAuthError.InvalidRequest("device_auth_id and user_code are required."));
        }

        var hash = SecretDigest.Compute(deviceAuthId);
        var row = await deviceCodes.FindByDeviceCodeAsync(hash, context.RequestAborted);
        // Both halves must match: the id alone (or the short user code alone) is not enough.
        if (row is null || !SecretDigest.FixedTimeEquals(SecretDigest.Compute(userCode), row.UserCodeHash))
        {
            return OAuthResponses.Error(new OAuthError(OAuthErrors.InvalidGrant, "Unknown device authorization.", StatusCodes.Status400BadRequest));
        }

        var now = time.GetUtcNow();
        if (now.ToUnixTimeMilliseconds() >= row.ExpiresAt && row.Status is DeviceCodeRow.Pending or DeviceCodeRow.Approved)
        {
            return OAuthResponses.Error(new OAuthError(OAuthErrors.ExpiredToken, "The code has expired. Start the sign-in again."));
        }

        switch (row.Status)
        {
            case DeviceCodeRow.Pending:
                return OAuthResponses.Error(new OAuthError(OAuthErrors.AuthorizationPending, "Waiting for the user to approve.", StatusCodes.Status403Forbidden));
            case DeviceCodeRow.Denied:
                return OAuthResponses.Error(new OAuthError(OAuthErrors.AccessDenied, "The sign-in was denied."));
            case DeviceCodeRow.Consumed:
                return OAuthResponses.Error(OAuthError.InvalidGrant("This device authorization was already used."));
        }

        // The device code consumed and the authorization code stored in one transaction (one commit).
        var verifier = Pkce.CreateVerifier();
        var challenge = Pkce.ComputeS256Challenge(verifier);
        await using var tx = await WriteTransaction.BeginAsync(db, context.RequestAborted);
        if (!await deviceCodes.TryConsumeAsync(tx, hash, "codex-authorization-code"))
        {
            return OAuthResponses.Error(OAuthError.InvalidGrant("This device authorization was already used."));
        }

        var code = await codes.CreateCodeAsync(
            tx, row.ClientId, row.UserId!, row.WorkspaceId!, options.Value.ResolveIssuer() + DeviceCallbackPath, challenge, row.Scope, null,
            row.AuthTime ?? now.ToUnixTimeMilliseconds(), row.Amr);
        await tx.CommitAsync();
        return OAuthResponses.Json(new JsonObject { ["authorization_code"] = code, ["code_challenge"] = challenge, ["code_verifier"] = verifier });
    }

    /// <summary>Workspace routing for the app-server/TUI: the token's workspace, served from this server.</summary>
    private static async Task<IResult> AccountsCheckAsync(HttpContext context, IOptions<LatchkeyServerOptions> options)
    {
        var (caller, _) = await context.GetCallerAsync(BearerUse.SignInOnly);
        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\", error=\"invalid_token\"";
            return OAuthResponses.Error(new OAuthError(OAuthErrors.InvalidToken, "The access token is invalid, expired or revoked.", StatusCodes.Status401Unauthorized));
        }

        var requested = context.Request.Headers["chatgpt-account-id"].ToString();
        if (requested.Length > 0 && requested != caller.WorkspaceId)
        {
            return OAuthResponses.Error(new OAuthError("not_found", "This sign-in is not for that workspace.", StatusCodes.Status404NotFound));
        }

        // An https origin (codex refuses others); with a plain-http issuer and no setting this is the http issuer,
        // which codex refuses with a message that names the https requirement (start-up logs the same warning).
        var origin = options.Value.Codex.ResolveWorkspaceBackendOrigin(options.Value.ResolveIssuer());
        return OAuthResponses.Json(new JsonObject
        {
            ["accounts"] = new JsonArray(new JsonObject
            {
                ["id"] = caller.WorkspaceId,
                ["workspace_backend_origin"] = origin,
                ["account_routing_override"] = "NO_CONSTRAINT",
            }),
        });
    }
}
