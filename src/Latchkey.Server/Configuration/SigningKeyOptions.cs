namespace Latchkey.Server.Configuration;

/// <summary>
/// How signing keys travel between instances. Each instance re-reads the key list at least every
/// <see cref="CacheLifetime"/>; a rotated key is published at once and signs only after <see cref="PropagationDelay"/>,
/// which must be longer, so every instance (and every JWKS cache that follows it) knows a key before it meets a token
/// signed with it.
/// </summary>
public sealed class SigningKeyOptions
{
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromMinutes(2);
}
