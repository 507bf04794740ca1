namespace Latchkey.Server.Sso;

/// <summary>
/// What an upstream provider asserted in a validated id_token (OIDC Core §3.1.3.7): who (issuer + subject, the only
/// stable key) and, for information, which address and whether the provider verified it.
/// </summary>
public sealed record ExternalIdentity(string Provider, string Issuer, string Subject, string? Email, bool EmailVerified, string? Name);
