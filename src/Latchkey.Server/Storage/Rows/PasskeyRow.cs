namespace Latchkey.Server.Storage.Rows;

/// <summary>One registered WebAuthn credential. Nothing here is secret: the private key never leaves the authenticator.</summary>
public sealed record PasskeyRow
{
    /// <summary>The credential id, base64url.</summary>
    public required string CredentialId { get; init; }

    public required string UserId { get; init; }

    public required string Name { get; init; }

    /// <summary>The COSE public key, base64url.</summary>
    public required string PublicKey { get; init; }

    /// <summary>The WebAuthn user handle the credential was made for, base64url.</summary>
    public required string UserHandle { get; init; }

    /// <summary>The last signature counter seen (WebAuthn L2 §6.1.1); 0 for authenticators that do not count.</summary>
    public long SignCount { get; init; }

    public string? Aaguid { get; init; }

    /// <summary>Transports the authenticator reported ("internal usb"), space-separated.</summary>
    public string? Transports { get; init; }

    public long CreatedAt { get; init; }

    public long? LastUsedAt { get; init; }
}
