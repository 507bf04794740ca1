using Latchkey.Server.Accounts;
using Latchkey.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sso;

/// <summary>The upstream providers the operator configured, by name.</summary>
public sealed class SsoProviderDirectory(IOptions<LatchkeyServerOptions> options)
{
    public const string SchemePrefix = "sso-";

    public IReadOnlyList<SsoProviderOptions> All => [.. options.Value.Sso.Providers];

    public SsoProviderOptions? Find(string? name)
        => string.IsNullOrEmpty(name) ? null : options.Value.Sso.Providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    public static string SchemeFor(SsoProviderOptions provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return SchemePrefix + provider.Name;
    }

    /// <summary>Is this provider authoritative for the address's domain (so its verified email may link an existing account)?</summary>
    public static bool IsTrustedFor(SsoProviderOptions provider, string? email)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var domain = EmailAddress.Domain(email);
        return domain is not null && provider.TrustedEmailDomains.Any(d => string.Equals(d, domain, StringComparison.OrdinalIgnoreCase));
    }
}
