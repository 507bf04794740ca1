namespace Latchkey.Server.Configuration;

/// <summary>
/// One upstream OpenID Connect provider (`Latchkey:Sso:Providers:N`). The client secret comes from configuration or the
/// environment (`Latchkey__Sso__Providers__0__ClientSecret`) and is never logged or shown.
/// </summary>
public sealed class SsoProviderOptions
{
    /// <summary>Short id in URLs and the database: lower-case letters, digits and dashes.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>What the sign-in button says ("Continue with …").</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>
    /// `entra`, `google`, `github` or empty (generic OpenID Connect). A preset fills in the authority and the usual
    /// claims. `github` is OAuth 2.0, not OpenID Connect: no id_token, so the identity comes from its API (see GitHubIdentity).
    /// </summary>
    public string? Preset { get; set; }

    /// <summary>For the `entra` preset: the directory (tenant) id. `common`/`organizations` are refused: the issuer must be one tenant.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The issuer (OIDC Discovery §4: `{Authority}/.well-known/openid-configuration`). https unless loopback. For
    /// `github`: https://github.com by default, or a GitHub Enterprise Server's address.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>`github` only: the REST API (default https://api.github.com for github.com, else `{Authority}/api/v3`).</summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>OAuth 2.0 with identity from an API rather than an OpenID Connect id_token.</summary>
    public bool IsGitHub => string.Equals(Preset, "github", StringComparison.OrdinalIgnoreCase);

    public string ClientId { get; set; } = string.Empty;

    /// <summary>The secret this server was given by the provider. Never logged, never echoed in an error.</summary>
    public string? ClientSecret { get; set; }

    public IList<string> Scopes { get; init; } = [];

    /// <summary>Claim holding the email address.</summary>
    public string EmailClaim { get; set; } = "email";

    /// <summary>Claim asserting the provider verified the address (Entra: the optional claim `xms_edov`).</summary>
    public string EmailVerifiedClaim { get; set; } = "email_verified";

    public string NameClaim { get; set; } = "name";

    /// <summary>
    /// Email domains this provider is authoritative for. Only for these does a verified email let an upstream identity
    /// link to an existing account without the person proving it (docs/server-security.md, "Account linking").
    /// </summary>
    public IList<string> TrustedEmailDomains { get; init; } = [];

    /// <summary>May a first sign-in through this provider create a new Latchkey account (with a verified email)?</summary>
    public bool AllowAccountCreation { get; set; } = true;

    /// <summary>The authority after presets are applied.</summary>
    public string? ResolveAuthority() => Preset?.ToLowerInvariant() switch
    {
        "entra" => $"https://login.microsoftonline.com/{TenantId}/v2.0",
        "google" => "https://accounts.google.com",
        "github" => string.IsNullOrWhiteSpace(Authority) ? "https://github.com" : Authority.TrimEnd('/'),
        _ => Authority?.TrimEnd('/'),
    };

    public string? ResolveApiBaseUrl() => !string.IsNullOrWhiteSpace(ApiBaseUrl) ? ApiBaseUrl.TrimEnd('/')
        : ResolveAuthority() == "https://github.com" ? "https://api.github.com" : ResolveAuthority() + "/api/v3";

    /// <summary>GitHub: read the profile and the addresses with their verification (`user:email`); nothing more.</summary>
    public IReadOnlyList<string> ResolveScopes() => Scopes.Count > 0 ? [.. Scopes] : IsGitHub ? ["read:user", "user:email"] : ["openid", "email", "profile"];

    public string ResolveDisplayName() => !string.IsNullOrWhiteSpace(DisplayName) ? DisplayName : Preset?.ToLowerInvariant() switch
    {
        "entra" => "Microsoft",
        "google" => "Google",
        "github" => "GitHub",
        _ => Name,
    };

    /// <summary>Per-provider callback path (RFC 6749 §3.1.2: exact redirect URI registered at the provider).</summary>
    public string CallbackPath => "/account/sso/callback/" + Name;
}
