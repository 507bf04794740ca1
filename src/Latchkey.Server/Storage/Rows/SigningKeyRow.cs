namespace Latchkey.Server.Storage.Rows;

public sealed record SigningKeyRow
{
    public required string Kid { get; init; }

    /// <summary>SubjectPublicKeyInfo, base64.</summary>
    public required string PublicKey { get; init; }

    /// <summary>PKCS#8 private key, protected with ASP.NET Data Protection.</summary>
    public required string PrivateKeyProtected { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>When the key starts signing; until then it is only published. Null: from creation.</summary>
    public long? ActivateAt { get; init; }

    /// <summary>When the key stopped (or will stop) signing; it stays published for the token lifetime after.</summary>
    public long? RetiredAt { get; init; }
}
