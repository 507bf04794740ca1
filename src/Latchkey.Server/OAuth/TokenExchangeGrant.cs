using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Storage.Repositories;

namespace Latchkey.Server.OAuth;

/// <summary>
/// Token exchange (RFC 8693) at /oauth/token: an automation access token (`at-…`) as the subject token becomes a
/// short-lived access JWT. Every exchange is a run start: the full access-token check runs and is recorded.
/// </summary>
public sealed class TokenExchangeGrant(CallerResolver callers, GrantRepository grants, TokenIssuer issuer)
{
    public async Task<(JsonObject? Response, OAuthError? Error)> HandleAsync(RegisteredClient client, OAuthParameters p, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(p);
        if (p["requested_token"] == "openai-api-key")
        {
            // The Codex client asks to turn its id_token into an API key after sign-in, and carries on without one
            // if refused. Latchkey refuses: API keys are workspace credentials that only owners and admins create.
            return (null, new OAuthError(OAuthErrors.UnsupportedTokenType, "Latchkey does not issue API keys from a sign-in; an owner or admin creates API keys in the console."));
        }

        var subject = p["subject_token"];
        var subjectType = p["subject_token_type"];
        if (subject is null || subjectType is null)
        {
            return (null, OAuthError.InvalidRequest("subject_token and subject_token_type are required (RFC 8693 §2.1)."));
        }

        if (subjectType != TokenTypes.AccessToken)
        {
            return (null, new OAuthError(OAuthErrors.UnsupportedTokenType, $"subject_token_type must be {TokenTypes.AccessToken}, with an access token (at-…) as the subject."));
        }

        if (p["requested_token_type"] is { } requested && requested != TokenTypes.AccessToken)
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Only {TokenTypes.AccessToken} can be requested."));
        }

        var outcome = await callers.ResolveAsync(subject, BearerUse.TokenExchange, client.ClientId, ip, cancellationToken);
        if (outcome.Caller is not { } caller)
        {
            var error = outcome.Refusal!;
            return (null, error.Status == StatusCodes.Status403Forbidden
                ? OAuthError.PolicyDenied(error.Message)
                : new OAuthError(OAuthErrors.InvalidGrant, error.Message, StatusCodes.Status400BadRequest, error.Code));
        }

        var grant = await grants.FindAsync(caller.CredentialId, cancellationToken);
        if (grant is null || grant.RevokedAt is not null)
        {
            return (null, OAuthError.InvalidGrant("The access token is not valid."));
        }

        return (await issuer.ExchangeAccessTokenAsync(grant, caller.ExpiresAt, client.ClientId, cancellationToken), null);
    }
}
