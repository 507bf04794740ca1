namespace Latchkey.Client.OAuth;

/// <summary>What the server's whoami said about an access token: whose it is, for which workspace, until when.</summary>
internal sealed record AccessTokenIdentity(string? Email, string? WorkspaceId, DateTimeOffset? ExpiresAt);
