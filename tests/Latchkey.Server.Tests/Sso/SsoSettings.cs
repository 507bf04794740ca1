namespace Latchkey.Server.Tests.Sso;

/// <summary>One configured upstream provider, `corp`, trusted for corp.example. Its authority is never contacted by these tests.</summary>
public static class SsoSettings
{
    public const string Provider = "corp";
    public const string Issuer = "http://127.0.0.1:9/corp";
    public const string TrustedDomain = "corp.example";

    public static Dictionary<string, string?> Corp() => new()
    {
        ["Latchkey:Sso:Providers:0:Name"] = Provider,
        ["Latchkey:Sso:Providers:0:DisplayName"] = "Corp SSO",
        ["Latchkey:Sso:Providers:0:Authority"] = Issuer,
        ["Latchkey:Sso:Providers:0:ClientId"] = "latchkey",
        ["Latchkey:Sso:Providers:0:ClientSecret"] = "upstream-client-secret-for-tests",
        ["Latchkey:Sso:Providers:0:TrustedEmailDomains:0"] = TrustedDomain,
    };
}
