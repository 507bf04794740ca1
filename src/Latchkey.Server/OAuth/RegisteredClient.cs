namespace Latchkey.Server.OAuth;

public sealed record RegisteredClient
{
    public required string ClientId { get; init; }

    public required string DisplayName { get; init; }

    public required IReadOnlyList<string> RedirectUris { get; init; }

    /// <summary>SHA-256 of the client secret (base64url). Null for public clients (RFC 6749 §2.1).</summary>
    public string? SecretSha256 { get; init; }

    public bool AllowDeviceCode { get; init; } = true;

    /// <summary>Scopes this client may ask for and is granted nothing for (RFC 6749 §3.3); see <see cref="Scopes.CodexIgnored"/>.</summary>
    public IReadOnlyList<string> IgnoredScopes { get; init; } = [];

    public bool IsConfidential => SecretSha256 is not null;

    /// <summary>
    /// A public client runs on the user's machine (the CLI, Codex, the client library): the workspace's local-access
    /// policy governs it. Confidential clients are server-side applications and are not "local".
    /// </summary>
    public bool IsLocal => !IsConfidential;
}
