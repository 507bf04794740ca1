using Latchkey.Client.Credentials;

namespace Latchkey.Client;

/// <summary>What an app sends as its bearer, and for whom.</summary>
/// <param name="Server">For access tokens: the server that checks them at use.</param>
public sealed record LatchkeyCredential(LoginMethod Method, string BearerToken, string? WorkspaceId, DateTimeOffset? ExpiresAt, string? Server = null);
