namespace Latchkey.Server.Configuration;

public sealed class ClientOptions
{
    public string ClientId { get; set; } = string.Empty;

    public string DisplayName { get; set; } = string.Empty;

    /// <summary>Exact redirect URIs. Loopback http URIs match any port (RFC 8252 §7.3).</summary>
    public IList<string> RedirectUris { get; init; } = [];

    /// <summary>
    /// For confidential clients (e.g. resource servers calling introspection): SHA-256 of the secret, base64url.
    /// Only the digest is configured, so config files never hold the secret itself.
    /// </summary>
    public string? SecretSha256 { get; set; }

    public bool AllowDeviceCode { get; set; } = true;
}
