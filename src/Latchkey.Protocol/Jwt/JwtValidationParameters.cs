namespace Latchkey.Protocol.Jwt;

public sealed record JwtValidationParameters
{
    public required Func<string, EcSigningKey?> ResolveKey { get; init; }

    public required DateTimeOffset Now { get; init; }

    public string? Issuer { get; init; }

    public string? Audience { get; init; }

    /// <summary>Allowed clock difference for exp and nbf (DESIGN.md: 60 s).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Tokens whose signature this verifier has already checked, so a token presented on every request costs one
    /// signature check, not one per request. Optional; without it every signature is checked.
    /// </summary>
    public IVerifiedSignatures? VerifiedSignatures { get; init; }
}
