namespace Latchkey.Protocol.OAuth;

/// <summary>Error codes from RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5, RFC 7009 §2.2.1, and the Codex refresh dialect.</summary>
public static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string UnsupportedTokenType = "unsupported_token_type";
    public const string InvalidScope = "invalid_scope";
    public const string AccessDenied = "access_denied";
    public const string ServerError = "server_error";
    public const string TemporarilyUnavailable = "temporarily_unavailable";
    public const string LoginRequired = "login_required";
    public const string InvalidToken = "invalid_token";

    public const string AuthorizationPending = "authorization_pending";
    public const string SlowDown = "slow_down";
    public const string ExpiredToken = "expired_token";

    // The Codex CLI's refresh failure codes (codex-compat.md).
    public const string RefreshTokenExpired = "refresh_token_expired";
    public const string RefreshTokenReused = "refresh_token_reused";
    public const string RefreshTokenInvalidated = "refresh_token_invalidated";
}
