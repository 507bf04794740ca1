using Latchkey.Client.Credentials;

namespace Latchkey.Client;

/// <summary>What an app sends as its bearer, and for whom.</summary>
public sealed record LatchkeyCredential(LoginMethod Method, string BearerToken, string? WorkspaceId, DateTimeOffset? ExpiresAt);
