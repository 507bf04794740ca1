using Latchkey.Protocol.Tokens;
using Latchkey.Server.Common;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.OAuth;

/// <summary>
/// What a bearer endpoint accepts and how a use is recorded. The caller is resolved the same way for every endpoint;
/// only which credential kinds it takes, the wording of a wrong-kind refusal, and the audit purpose differ.
/// </summary>
public sealed record BearerUse
{
    /// <summary>/api/v1: sign-in tokens and access tokens (API keys are for the gateway).</summary>
    public static readonly BearerUse Api = new() { Purpose = "api", Accepts = [CredentialKinds.SignIn, CredentialKinds.AccessToken], ClientLabel = "api", RecordUse = true };

    /// <summary>The Codex/`latchkey` run-start check: access tokens only, every call recorded.</summary>
    public static readonly BearerUse Whoami = new() { Purpose = "whoami", Accepts = [CredentialKinds.AccessToken], RecordUse = true };

    /// <summary>RFC 8693 exchange of an access token (the subject token, not a header).</summary>
    public static readonly BearerUse TokenExchange = new() { Purpose = "token_exchange", Accepts = [CredentialKinds.AccessToken], RecordUse = true };

    /// <summary>The model gateway: every kind; local clients need local access.</summary>
    public static readonly BearerUse Gateway = new() { Purpose = "gateway", Accepts = [CredentialKinds.SignIn, CredentialKinds.AccessToken, CredentialKinds.ApiKey], ClientLabel = "gateway", LocalUse = true };

    /// <summary>userinfo, introspection and the Codex account check: sign-in tokens only.</summary>
    public static readonly BearerUse SignInOnly = new() { Purpose = "sign_in", Accepts = [CredentialKinds.SignIn] };

    public required string Purpose { get; init; }

    public required IReadOnlyList<string> Accepts { get; init; }

    /// <summary>The client recorded with an access token's use or refusal; null = the request's User-Agent.</summary>
    public string? ClientLabel { get; init; }

    /// <summary>Record an access token's successful use (`access_token.used`); refusals are always recorded.</summary>
    public bool RecordUse { get; init; }

    /// <summary>Using this endpoint is "using Latchkey locally" for local clients (the CLI, Codex, access tokens).</summary>
    public bool LocalUse { get; init; }

    /// <summary>Null when <paramref name="bearer"/> is of an accepted kind and well formed; otherwise the refusal naming what is wanted.</summary>
    public ServiceError? RefuseShape(string kind, string? bearer)
    {
        if (Accepts.Count == 1 && Accepts[0] == CredentialKinds.AccessToken)
        {
            return CredentialKinds.ExpectAccessToken(bearer);
        }

        if (Accepts.Contains(kind))
        {
            return kind switch
            {
                CredentialKinds.AccessToken when !TokenFormat.IsWellFormed(bearer, TokenFormat.AccessTokenPrefix)
                    => Unauthorized("invalid_token", "The access token is malformed (its checksum does not match). Check that it was copied whole."),
                CredentialKinds.ApiKey when !TokenFormat.IsWellFormed(bearer, TokenFormat.ApiKeyPrefix) => Unauthorized("invalid_api_key", "The API key is not valid."),
                _ => null,
            };
        }

        if (Accepts.Count == 1)
        {
            return CallerResolver.InvalidSignIn;
        }

        return (ReferenceEquals(this, Api), kind) switch
        {
            (true, CredentialKinds.ApiKey) => Unauthorized("wrong_credential_type", "API keys (sk-lk-…) are for the model gateway. The workspace API takes a sign-in access token or an access token (at-…)."),
            (true, _) => Unauthorized("unauthorized", "Send `Authorization: Bearer <token>`: a sign-in access token or an access token (at-…)."),
            _ => Unauthorized("missing_credential", "Send `Authorization: Bearer` with a Latchkey sign-in token, an access token (at-…) or an API key (sk-lk-…)."),
        };
    }

    private static ServiceError Unauthorized(string code, string message) => new(StatusCodes.Status401Unauthorized, code, message);
}
