using Latchkey.Protocol.OAuth;

namespace Latchkey.Server.OAuth;

public sealed class AuthorizeRequestValidator(ClientRegistry clients)
{
    private const int MaxStateLength = 1024;

    public AuthorizeValidation Validate(OAuthParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);

        // First the client and redirect URI: until both are verified, nothing may be redirected anywhere.
        var client = clients.Find(p["client_id"]);
        if (client is null)
        {
            return new AuthorizeValidation(null, "Unknown client. The application that sent you here is not registered with this server.", null, null, null);
        }

        var redirectUri = p["redirect_uri"];
        if (redirectUri is null || !RedirectUriMatcher.IsAllowed(client, redirectUri))
        {
            return new AuthorizeValidation(null, "The redirect URI is not registered for this application.", null, null, null);
        }

        var state = p["state"];
        if (state is { Length: > MaxStateLength })
        {
            return Fail(OAuthErrors.InvalidRequest, "state is too long.", null);
        }

        AuthorizeValidation Fail(string code, string description, string? withState)
            => new(null, null, new OAuthError(code, description), redirectUri, withState);

        if (p["request"] is not null || p["request_uri"] is not null)
        {
            return Fail("request_not_supported", "Request objects are not supported.", state);
        }

        if (p["response_type"] != "code")
        {
            // RFC 9700 §2.1.2: the implicit grant is not offered; only the code flow.
            return Fail(OAuthErrors.UnsupportedResponseType, "Only response_type=code is supported.", state);
        }

        var challenge = p["code_challenge"];
        if (challenge is null)
        {
            // RFC 9700 §2.1.1 / RFC 7636 §4.4.1: PKCE is required for every client.
            return Fail(OAuthErrors.InvalidRequest, "code_challenge is required (PKCE, RFC 7636).", state);
        }

        if (p["code_challenge_method"] != Pkce.MethodS256)
        {
            // RFC 7636 §4.2 / RFC 9700 §2.1.1: "plain" would expose the verifier; only S256.
            return Fail(OAuthErrors.InvalidRequest, "code_challenge_method must be S256.", state);
        }

        if (challenge.Length != 43 || !IsBase64Url(challenge))
        {
            return Fail(OAuthErrors.InvalidRequest, "code_challenge must be a base64url SHA-256 digest (43 characters).", state);
        }

        var scope = Scopes.Normalize(p["scope"], client.IgnoredScopes);
        if (scope is null)
        {
            return Fail(OAuthErrors.InvalidScope, $"Supported scopes: {string.Join(' ', Scopes.Supported)}.", state);
        }

        var nonce = p["nonce"];
        if (nonce is { Length: > 512 })
        {
            return Fail(OAuthErrors.InvalidRequest, "nonce is too long.", state);
        }

        var allowed = (p["allowed_workspace_id"] ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToList();

        return new AuthorizeValidation(
            new AuthorizeRequest
            {
                Client = client,
                RedirectUri = redirectUri,
                State = state,
                Scope = scope,
                CodeChallenge = challenge,
                Nonce = nonce,
                Prompt = p["prompt"],
                AllowedWorkspaceIds = allowed,
            },
            null,
            null,
            redirectUri,
            state);
    }

    private static bool IsBase64Url(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
