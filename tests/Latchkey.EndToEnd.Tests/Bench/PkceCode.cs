namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>An authorization code and the PKCE verifier its challenge was made from (RFC 7636).</summary>
public sealed record PkceCode(string Code, string Verifier);
