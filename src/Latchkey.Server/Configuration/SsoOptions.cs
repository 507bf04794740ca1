namespace Latchkey.Server.Configuration;

/// <summary>Single sign-on: upstream identity providers the operator trusts (section `Latchkey:Sso`).</summary>
public sealed class SsoOptions
{
    public IList<SsoProviderOptions> Providers { get; init; } = [];
}
