using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage.Repositories;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>Discovery, JWKS, device authorization, revocation, introspection and userinfo.</summary>
public sealed class ProtocolEndpoints(
    IOptions<LatchkeyServerOptions> options,
    SigningKeyService keys,
    ClientAuthenticator authenticator,
    DeviceAuthorizationService devices,
    GrantRepository grants,
    AccessTokenValidator accessTokens,
    CallerResolver callers,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>OpenID Connect Discovery 1.0 §3 / RFC 8414 §2.</summary>
    public IResult Discovery()
    {
        var o = options.Value;
        var issuer = o.ResolveIssuer();
        var grantTypes = new JsonArray(GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.TokenExchange);
        var document = new JsonObject
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + "/oauth/authorize",
            ["token_endpoint"] = issuer + "/oauth/token",
            ["jwks_uri"] = issuer + "/.well-known/jwks.json",
            ["userinfo_endpoint"] = issuer + "/oauth/userinfo",
            ["revocation_endpoint"] = issuer + "/oauth/revoke",
            ["introspection_endpoint"] = issuer + "/oauth/introspect",
            ["response_types_supported"] = new JsonArray("code"),
            ["response_modes_supported"] = new JsonArray("query"),
            ["grant_types_supported"] = grantTypes,
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray(Latchkey.Protocol.Jwt.JwtCodec.Algorithm),
            ["code_challenge_methods_supported"] = new JsonArray(Pkce.MethodS256),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("none", "client_secret_basic", "client_secret_post"),
            ["revocation_endpoint_auth_methods_supported"] = new JsonArray("none", "client_secret_basic", "client_secret_post"),
            ["introspection_endpoint_auth_methods_supported"] = new JsonArray("client_secret_basic", "client_secret_post"),
            ["scopes_supported"] = new JsonArray([.. Scopes.Supported.Select(s => (JsonNode)s)]),
            ["claims_supported"] = new JsonArray("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "email", "email_verified", ClaimNames.CodexAuth),
            ["authorization_response_iss_parameter_supported"] = true,
        };
        if (o.DeviceAuthorizationEnabled)
        {
            document["device_authorization_endpoint"] = issuer + "/oauth/device_authorization";
            grantTypes.Add(GrantTypes.DeviceCode);
        }

        return Results.Json(document);
    }

    public async Task<IResult> Jwks(CancellationToken cancellationToken) => Results.Json(await keys.GetJwksAsync(cancellationToken));

    /// <summary>RFC 8628 §3.1-3.2.</summary>
    public async Task<IResult> DeviceAuthorization(HttpContext context)
    {
        var (p, readError) = await OAuthRequestReader.ReadAsync(context, allowJson: false, context.RequestAborted);
        if (p is null)
        {
            return OAuthResponses.Error(readError!);
        }

        var (client, clientError) = authenticator.Authenticate(context, p);
        if (client is null)
        {
            return OAuthResponses.Error(clientError!);
        }

        if (!options.Value.DeviceAuthorizationEnabled || !client.AllowDeviceCode)
        {
            return OAuthResponses.Error(new OAuthError(OAuthErrors.UnauthorizedClient, "Device sign-in is switched off on this server. Use the browser sign-in."));
        }

        var scope = Scopes.Normalize(p["scope"]);
        if (scope is null)
        {
            return OAuthResponses.Error(new OAuthError(OAuthErrors.InvalidScope, $"Supported scopes: {string.Join(' ', Scopes.Supported)}."));
        }

        return OAuthResponses.Json(await devices.CreateAsync(client, scope, context.RequestAborted));
    }

    /// <summary>RFC 7009. Form (RFC) or JSON (Codex). Unknown tokens get 200 (§2.2); a refresh or access token revokes its whole grant.</summary>
    public async Task<IResult> Revoke(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var (p, readError) = await OAuthRequestReader.ReadAsync(context, allowJson: true, cancellationToken);
        if (p is null)
        {
            return OAuthResponses.Error(readError!);
        }

        // Codex revokes an access token without client_id, so the client is optional here; a confidential one must still authenticate.
        var (client, clientError) = authenticator.Authenticate(context, p, requireClientId: false);
        if (clientError is not null)
        {
            return OAuthResponses.Error(clientError);
        }

        var token = p["token"];
        if (token is null)
        {
            return OAuthResponses.Error(OAuthError.InvalidRequest("token is required."));
        }

        var grant = await grants.FindByRefreshTokenAsync(SecretDigest.Compute(token), cancellationToken)
            ?? (await accessTokens.ValidateSignatureAndGrantAsync(token, cancellationToken)).Grant;
        if (grant is null)
        {
            return Results.Ok();
        }

        if (client is not null && client.ClientId != grant.ClientId)
        {
            // RFC 7009 §2.1: the server verifies the token was issued to the client making the request.
            return OAuthResponses.Error(new OAuthError(OAuthErrors.UnauthorizedClient, "The token was not issued to this client."));
        }

        if (await grants.RevokeAsync(grant.Id, "revoked_by_client", time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken))
        {
            await audit.WriteAsync(AuditEventTypes.GrantRevoked, grant.UserId, grant.WorkspaceId, grant.ClientId, context.Connection.RemoteIpAddress?.ToString(),
                new JsonObject { ["grant_id"] = grant.Id, ["reason"] = "revoked_by_client" }, cancellationToken);
        }

        return Results.Ok();
    }

    /// <summary>RFC 7662. Only authenticated confidential clients may ask (§2.1, §4).</summary>
    public async Task<IResult> Introspect(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var (p, readError) = await OAuthRequestReader.ReadAsync(context, allowJson: false, cancellationToken);
        if (p is null)
        {
            return OAuthResponses.Error(readError!);
        }

        var (client, clientError) = authenticator.Authenticate(context, p);
        if (client is null)
        {
            return OAuthResponses.Error(clientError!);
        }

        if (!client.IsConfidential)
        {
            return OAuthResponses.Error(OAuthError.InvalidClient("Introspection is for confidential clients (RFC 7662 §2.1)."));
        }

        var token = p["token"];
        if (token is null)
        {
            return OAuthResponses.Error(OAuthError.InvalidRequest("token is required."));
        }

        var inactive = new JsonObject { ["active"] = false };
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var refresh = await grants.FindRefreshTokenAsync(SecretDigest.Compute(token), cancellationToken);
        if (refresh is not null)
        {
            var grant = await grants.FindAsync(refresh.GrantId, cancellationToken);
            if (grant is null || grant.RevokedAt is not null || refresh.ConsumedAt is not null || refresh.ExpiresAt <= now)
            {
                return OAuthResponses.Json(inactive);
            }

            return OAuthResponses.Json(new JsonObject
            {
                ["active"] = true,
                ["token_type"] = "refresh_token",
                ["client_id"] = grant.ClientId,
                ["sub"] = grant.UserId,
                ["scope"] = grant.Scope,
                ["sid"] = grant.Id,
                ["iat"] = refresh.CreatedAt / 1000,
                ["exp"] = refresh.ExpiresAt / 1000,
                ["iss"] = options.Value.ResolveIssuer(),
            });
        }

        // RFC 7662 §2.2: active only while the token would be accepted now, so a revoked grant or a member removed
        // from the workspace answers active:false at once, not when the JWT expires.
        var (caller, _, _) = await callers.ResolveAsync(token, BearerUse.SignInOnly, client.ClientId, context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (caller?.Claims is null)
        {
            return OAuthResponses.Json(inactive);
        }

        var claims = caller.Claims.DeepClone().AsObject();
        claims["active"] = true;
        claims["token_type"] = "Bearer";
        return OAuthResponses.Json(claims);
    }

    /// <summary>OIDC Core §5.3. Bearer token per RFC 6750 §2.1; errors per §3.</summary>
    public async Task<IResult> UserInfo(HttpContext context)
    {
        var (caller, refusal) = await context.GetCallerAsync(BearerUse.SignInOnly);
        if (caller is null)
        {
            if (refusal is { Status: StatusCodes.Status401Unauthorized } && context.Response.Headers.WWWAuthenticate.ToString().Contains("error=", StringComparison.Ordinal))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\", error=\"invalid_token\", error_description=\"The access token is invalid, expired or revoked.\"";
            }

            return Results.Unauthorized();
        }

        return Results.Json(new JsonObject
        {
            ["sub"] = caller.UserId,
            ["email"] = caller.Email,
            ["email_verified"] = true,
            [ClaimNames.CodexAuth] = caller.Claims?[ClaimNames.CodexAuth]?.DeepClone(),
        });
    }
}
