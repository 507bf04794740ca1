using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.OAuth;

/// <summary>POST /oauth/token (RFC 6749 §3.2): dispatches on grant_type.</summary>
public sealed class TokenEndpoint(
    ClientAuthenticator authenticator,
    IDbConnectionFactory db,
    AuthorizationCodeRepository codes,
    GrantRepository grants,
    TokenIssuer issuer,
    SigningKeyService keys,
    RefreshTokenGrant refreshGrant,
    DeviceCodeGrant deviceGrant,
    TokenExchangeGrant exchangeGrant,
    LocalAccessGate localAccess,
    AuditLog audit,
    AuditRepository auditEvents,
    TimeProvider time)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var (p, readError) = await OAuthRequestReader.ReadAsync(context, allowJson: true, cancellationToken);
        if (p is null)
        {
            return OAuthResponses.Error(readError!);
        }

        var (client, clientError) = authenticator.Authenticate(context, p);
        if (client is null)
        {
            return OAuthResponses.Error(clientError!, p.IsJson);
        }

        var ip = context.Connection.RemoteIpAddress?.ToString();
        // Which program signs in, kept on a new grant so the Security page can tell sign-ins apart.
        var device = UserAgentSummary.Describe(context.Request.Headers.UserAgent.ToString(), unknown: "Unknown program");
        var outcome = p["grant_type"] switch
        {
            null => (null, OAuthError.InvalidRequest("grant_type is required.")),
            GrantTypes.AuthorizationCode => await ExchangeCodeAsync(client, p, ip, device, cancellationToken),
            GrantTypes.RefreshToken => await refreshGrant.HandleAsync(client, p, ip, cancellationToken),
            GrantTypes.DeviceCode => await deviceGrant.HandleAsync(client, p, ip, device, cancellationToken),
            GrantTypes.TokenExchange => await exchangeGrant.HandleAsync(client, p, ip, cancellationToken),
            _ => (null, new OAuthError(OAuthErrors.UnsupportedGrantType, "Supported grant types: authorization_code, refresh_token, device_code, token-exchange.")),
        };
        if (outcome.Response is not null)
        {
            ServerMetrics.TokenGranted(p["grant_type"]!);
        }

        return outcome.Response is not null ? OAuthResponses.Json(outcome.Response) : OAuthResponses.Error(outcome.Error!, p.IsJson);
    }

    private async Task<(JsonObject? Response, OAuthError? Error)> ExchangeCodeAsync(RegisteredClient client, OAuthParameters p, string? ip, string device, CancellationToken cancellationToken)
    {
        var code = p["code"];
        if (code is null || p["redirect_uri"] is null || p["code_verifier"] is null)
        {
            return (null, OAuthError.InvalidRequest("code, redirect_uri and code_verifier are required."));
        }

        var codeHash = SecretDigest.Compute(code);
        var (row, replayed, refusal, denied, issued) = await RedeemAsync(client, p, codeHash, ip, device, cancellationToken);
        if (row is null)
        {
            return (null, OAuthError.InvalidGrant("The authorization code is invalid."));
        }

        // Refusals are recorded only now, after the exchange's transaction ended: nothing else writes from this
        // request while it holds the write turn.
        if (replayed)
        {
            await RevokeAfterReplayAsync(row.GrantId, row.UserId, client.ClientId, ip, cancellationToken);
            return (null, OAuthError.InvalidGrant("The authorization code was already used."));
        }

        if (refusal is not null)
        {
            return (null, refusal);
        }

        if (denied is not null)
        {
            var recorded = await localAccess.RecordAsync(denied, row.UserId, row.WorkspaceId, client.ClientId, ip, "code_exchange", cancellationToken);
            await using var refused = await WriteTransaction.BeginAsync(db, cancellationToken);
            await codes.TryConsumeAsync(refused, codeHash, grantId: null, time.GetUtcNow().ToUnixTimeMilliseconds());
            await refused.CommitAsync();
            return (null, OAuthError.PolicyDenied(recorded.Message));
        }

        var key = await keys.GetActiveKeyAsync(cancellationToken);
        return (issuer.BuildResponse(issued!.Grant, row.Email, row.EmailVerifiedAt is not null, row.PlanType, issued.RefreshToken, row.Nonce, key), null);
    }

    /// <summary>
    /// One connection and one transaction: consumes the code and reads everything the exchange decides on in one
    /// command, checks it, and if every check passes stores the grant made from it, its refresh token and its audit
    /// event, and commits once. A failed check (<c>Refusal</c>) or the local-access policy's refusal (<c>Denied</c>, for
    /// the caller to record) rolls the consumption back, so a refusal writes nothing. <c>Replayed</c>: the code was
    /// used before, or by a concurrent exchange that won the race; the row names the grant made from it.
    /// </summary>
    private async Task<(CodeExchangeContextRow? Row, bool Replayed, OAuthError? Refusal, LocalAccessRefusal? Denied, IssuedGrant? Issued)> RedeemAsync(
        RegisteredClient client, OAuthParameters p, string codeHash, string? ip, string device, CancellationToken cancellationToken)
    {
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds(); // after the wait for the write turn, not before it
        var grantId = TokenIssuer.NewGrantId();
        var (consumed, row) = await codes.ConsumeForExchangeAsync(tx, codeHash, grantId, now);
        if (row is null || !consumed)
        {
            return (row, row is not null, null, null, null);
        }

        if (now >= row.ExpiresAt)
        {
            return (row, false, OAuthError.InvalidGrant("The authorization code has expired."), null, null);
        }

        // RFC 6749 §4.1.3: the code must have been issued to this client, for this redirect_uri.
        if (row.ClientId != client.ClientId)
        {
            return (row, false, OAuthError.InvalidGrant("The authorization code was issued to another client."), null, null);
        }

        if (!string.Equals(row.RedirectUri, p["redirect_uri"], StringComparison.Ordinal))
        {
            return (row, false, OAuthError.InvalidGrant("redirect_uri does not match the authorization request."), null, null);
        }

        // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored code_challenge.
        if (!Pkce.Verify(p["code_verifier"], row.CodeChallenge))
        {
            return (row, false, OAuthError.InvalidGrant("code_verifier does not match the code_challenge."), null, null);
        }

        // Decided here from the row just read (as the refresh grant does); a refusal is recorded, and the code consumed
        // without a grant, by the caller once this transaction has rolled back.
        if (client.IsLocal && LocalAccessGate.Decide(row, WorkspaceAction.UseLocally, new AccessTarget { SignInAmr = row.Amr }) is { } denied)
        {
            return (row, false, null, denied, null);
        }

        var issued = await issuer.CreateGrantAsync(tx, client.ClientId, row.UserId, row.WorkspaceId, row.Scope, row.AuthTime, ip, grantId, row.Amr, device);
        await tx.CommitAsync();
        return (row, false, null, null, issued);
    }

    /// <summary>
    /// RFC 6749 §4.1.2 / §10.5: if a code is used more than once, revoke the tokens already issued from it. The code is
    /// consumed in the same transaction as its grant is made, so a used code names its grant (none when its exchange
    /// was refused). The revocation and the events recording it commit together.
    /// </summary>
    private async Task RevokeAfterReplayAsync(string? grantId, string userId, string clientId, string? ip, CancellationToken cancellationToken)
    {
        await using var tx = await WriteTransaction.BeginAsync(db, cancellationToken);
        await auditEvents.AppendAsync(tx, audit.Row(AuditEventTypes.AuthorizationCodeReplayed, userId, null, clientId, ip, new JsonObject { ["grant_id"] = grantId }));
        if (grantId is not null && await grants.RevokeAsync(tx, grantId, "authorization_code_replayed", time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            await auditEvents.AppendAsync(tx, audit.Row(AuditEventTypes.GrantRevoked, userId, null, clientId, ip, new JsonObject { ["grant_id"] = grantId, ["reason"] = "authorization_code_replayed" }));
        }

        await tx.CommitAsync();
    }
}
