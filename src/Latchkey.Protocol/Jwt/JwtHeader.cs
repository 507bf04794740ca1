namespace Latchkey.Protocol.Jwt;

/// <summary>The JOSE header fields Latchkey reads and writes.</summary>
public sealed record JwtHeader(string Algorithm, string? KeyId, string? Type);
