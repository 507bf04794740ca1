namespace Latchkey.Server.OAuth;

/// <summary>
/// The outcome of validating an authorization request. <see cref="UserFacingError"/> is set when the client or
/// redirect URI cannot be trusted: the error is shown to the user and never redirected (RFC 6749 §4.1.2.1).
/// <see cref="RedirectError"/> is set for errors that may be sent to the verified redirect URI.
/// </summary>
public sealed record AuthorizeValidation(AuthorizeRequest? Request, string? UserFacingError, OAuthError? RedirectError, string? RedirectUri, string? State);
