using Latchkey.Protocol.OAuth;

namespace Latchkey.Server.OAuth;

/// <summary>An OAuth protocol error as data (RFC 6749 §5.2), with the HTTP status to send and an optional Codex code.</summary>
public sealed record OAuthError(string Error, string Description, int StatusCode = StatusCodes.Status400BadRequest, string? CodexCode = null)
{
    public static OAuthError InvalidRequest(string description) => new(OAuthErrors.InvalidRequest, description);

    public static OAuthError InvalidGrant(string description, string? codexCode = null) => new(OAuthErrors.InvalidGrant, description, StatusCodes.Status400BadRequest, codexCode);

    public static OAuthError InvalidClient(string description) => new(OAuthErrors.InvalidClient, description, StatusCodes.Status401Unauthorized);

    /// <summary>A workspace policy refuses: HTTP 403 with access_denied and the policy's own message.</summary>
    public static OAuthError PolicyDenied(string description) => new(OAuthErrors.AccessDenied, description, StatusCodes.Status403Forbidden);
}
