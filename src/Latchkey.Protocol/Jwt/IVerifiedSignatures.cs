namespace Latchkey.Protocol.Jwt;

/// <summary>
/// Remembers whole tokens (header, payload and signature) whose signature a key verified, and that passed every other
/// check then. Asked by <see cref="JwtCodec.Validate(string, JwtValidationParameters)"/> only after the token's key is
/// resolved (so a key no longer trusted refuses the token whatever was remembered), and never in place of the issuer,
/// audience and time checks, which run on every use.
/// </summary>
public interface IVerifiedSignatures
{
    /// <summary>True if exactly this token was verified before by the key <paramref name="keyId"/>.</summary>
    bool WasVerified(string token, string keyId);

    /// <summary>Exactly this token was verified by <paramref name="keyId"/> and is of no use after <paramref name="expiresAt"/>.</summary>
    void Remember(string token, string keyId, DateTimeOffset expiresAt);
}
