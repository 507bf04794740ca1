namespace Latchkey.Client.OAuth;

/// <summary>A refresh that failed. Permanent failures need a new sign-in; transient ones (network, 5xx) may be retried.</summary>
internal sealed class RefreshFailedException(RefreshFailureReason reason, bool permanent, string message, Exception? inner = null)
    : LatchkeyException(ErrorCodes.RefreshFailed, message, inner)
{
    public const string ExpiredMessage = "Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.";
    public const string ReusedMessage = "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.";
    public const string RevokedMessage = "Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again.";
    public const string OtherMessage = "Your access token could not be refreshed. Please log out and sign in again.";

    public RefreshFailureReason Reason { get; } = reason;

    public bool IsPermanent { get; } = permanent;

    /// <summary>Classifies a refresh reply as the Codex client does (codex-compat.md).</summary>
    public static RefreshFailedException Classify(int status, OAuthErrorBody? body)
    {
        var code = body?.ErrorCode?.ToLowerInvariant();
        var permanent = status == 401 || (status == 400 && code is "invalid_grant" or "refresh_token_expired" or "refresh_token_reused" or "refresh_token_invalidated");
        var specific = body?.Code?.ToLowerInvariant() ?? code;
        return specific switch
        {
            "refresh_token_expired" => new(RefreshFailureReason.Expired, permanent || status == 400, ExpiredMessage),
            "refresh_token_reused" => new(RefreshFailureReason.Reused, permanent || status == 400, ReusedMessage),
            "refresh_token_invalidated" => new(RefreshFailureReason.Revoked, permanent || status == 400, RevokedMessage),
            _ => new(RefreshFailureReason.Other, permanent, permanent ? OtherMessage : $"The server could not refresh the sign-in right now (HTTP {status}). Try again."),
        };
    }
}
