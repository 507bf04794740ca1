using Latchkey.Protocol.Tokens;
using Latchkey.Server.Common;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// Tells the three bearer credentials apart by shape, so an endpoint given the wrong kind can say which kind it
/// wants instead of a bare "invalid token".
/// </summary>
public static class CredentialKinds
{
    public const string AccessToken = "access_token";
    public const string ApiKey = "api_key";
    /// <summary>A Latchkey OAuth access JWT. "oauth" is the name gateway usage events have always recorded.</summary>
    public const string SignIn = "oauth";
    public const string Unknown = "unknown";

    public static string Classify(string? bearer)
    {
        if (string.IsNullOrEmpty(bearer))
        {
            return Unknown;
        }

        if (bearer.StartsWith(TokenFormat.ApiKeyPrefix, StringComparison.Ordinal))
        {
            return ApiKey;
        }

        if (bearer.StartsWith(TokenFormat.AccessTokenPrefix, StringComparison.Ordinal))
        {
            return AccessToken;
        }

        return bearer.Count(c => c == '.') == 2 ? SignIn : Unknown;
    }

    /// <summary>Null when <paramref name="bearer"/> is a well-formed access token; otherwise a refusal naming the right kind.</summary>
    public static ServiceError? ExpectAccessToken(string? bearer) => Classify(bearer) switch
    {
        AccessToken when TokenFormat.IsWellFormed(bearer, TokenFormat.AccessTokenPrefix) => null,
        AccessToken => Refused("invalid_token", "The access token is malformed (its checksum does not match). Check that it was copied whole."),
        ApiKey => Refused("wrong_credential_type", "An API key (sk-lk-…) was given where an access token (at-…) is expected. Create an access token in the Latchkey console."),
        SignIn => Refused("wrong_credential_type", "A sign-in token was given where an access token (at-…) is expected. Use `latchkey login` for interactive sign-in, or create an access token for automation."),
        _ => Refused("invalid_token", "An access token (at-…) is required."),
    };

    private static ServiceError Refused(string code, string message) => new(StatusCodes.Status401Unauthorized, code, message);
}
