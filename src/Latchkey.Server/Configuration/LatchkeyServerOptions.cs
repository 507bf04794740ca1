namespace Latchkey.Server.Configuration;

/// <summary>Server settings: section "Latchkey" in appsettings, env vars `Latchkey__Port`, or flags (`--port`).</summary>
public sealed class LatchkeyServerOptions
{
    public const string Section = "Latchkey";

    /// <summary>Address Kestrel binds. Loopback by default: put a TLS reverse proxy in front for other hosts.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 5080;

    /// <summary>Public base URL (the `iss` of every token). Defaults to http://{ListenAddress}:{Port}.</summary>
    public string? Issuer { get; set; }

    public string DataDirectory { get; set; } = "data";

    public DatabaseOptions Database { get; set; } = new();

    public KeyProtectionOptions KeyProtection { get; set; } = new();

    public SigningKeyOptions SigningKeys { get; set; } = new();

    public TokenLifetimeOptions Lifetimes { get; set; } = new();

    public SignInSecurityOptions SignIn { get; set; } = new();

    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Switches device sign-in (RFC 8628) off for the whole server.</summary>
    public bool DeviceAuthorizationEnabled { get; set; } = true;

    /// <summary>Addresses of reverse proxies whose X-Forwarded-* headers are trusted. Empty: none are.</summary>
    public IList<string> TrustedProxies { get; init; } = [];

    /// <summary>Clients in addition to the built-in `latchkey-cli`.</summary>
    public IList<ClientOptions> Clients { get; init; } = [];

    /// <summary>How often expired codes and tokens are deleted.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    public CodexOptions Codex { get; set; } = new();

    public GatewayOptions Gateway { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public SsoOptions Sso { get; set; } = new();

    /// <summary>How long audit events are kept when a workspace sets no retention of its own.</summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How long an invitation link stays usable.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    public string ResolveIssuer() => (Issuer ?? $"http://{(ListenAddress.Contains(':', StringComparison.Ordinal) ? $"[{ListenAddress}]" : ListenAddress)}:{Port}").TrimEnd('/');
}
