using Microsoft.Extensions.Options;

namespace Latchkey.Server.Configuration;

/// <summary>Misconfiguration stops the server at start-up, with every problem named.</summary>
public sealed class LatchkeyServerOptionsValidator : IValidateOptions<LatchkeyServerOptions>
{
    /// <summary>Codex 0.169.0 refreshes proactively when under this much of the access token's life is left (codex-compat.md).</summary>
    public static readonly TimeSpan CodexRefreshMargin = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, LatchkeyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Latchkey:Port must be 0-65535 (got {options.Port}).");
        }

        var provider = options.Database.Provider.ToLowerInvariant();
        if (provider is not ("sqlite" or "postgres"))
        {
            errors.Add($"Latchkey:Database:Provider must be 'sqlite' or 'postgres' (got '{options.Database.Provider}').");
        }

        if (provider == "postgres" && string.IsNullOrWhiteSpace(options.Database.ConnectionString))
        {
            errors.Add("Latchkey:Database:ConnectionString is required when the provider is 'postgres'.");
        }

        if (!string.IsNullOrEmpty(options.KeyProtection.Key))
        {
            if (!string.IsNullOrEmpty(options.KeyProtection.KeyFile))
            {
                errors.Add("Set Latchkey:KeyProtection:Key or Latchkey:KeyProtection:KeyFile, not both.");
            }

            Span<byte> key = stackalloc byte[48];
            if (!Convert.TryFromBase64String(options.KeyProtection.Key.Trim(), key, out var length) || length != 32)
            {
                // The value itself is a secret: never echo it.
                errors.Add("Latchkey:KeyProtection:Key must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`).");
            }
        }

        if (!Uri.TryCreate(options.ResolveIssuer(), UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
        {
            errors.Add($"Latchkey:Issuer must be an absolute http(s) URL without query or fragment (got '{options.Issuer}').");
        }
        else if (issuer.Scheme == "http" && !issuer.IsLoopback)
        {
            // RFC 8414 §2 / OIDC Discovery: the issuer uses https. Plain http is only for loopback development.
            errors.Add($"Latchkey:Issuer must use https unless it is a loopback address (got '{options.Issuer}').");
        }

        if (!string.IsNullOrWhiteSpace(options.Codex.WorkspaceBackendOrigin) && !CodexOptions.IsCodexBackendOrigin(options.Codex.WorkspaceBackendOrigin))
        {
            // Codex refuses any other workspace_backend_origin and ends an app-server sign-in (codex-compat.md).
            errors.Add($"Latchkey:Codex:WorkspaceBackendOrigin must be an https origin without credentials, path, query or fragment, e.g. https://latchkey.example.com (got '{options.Codex.WorkspaceBackendOrigin}').");
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _))
            {
                errors.Add($"Latchkey:TrustedProxies entry '{proxy}' is not an IP address.");
            }
        }

        foreach (var client in options.Clients)
        {
            if (string.IsNullOrWhiteSpace(client.ClientId))
            {
                errors.Add("Every Latchkey:Clients entry needs a ClientId.");
            }

            foreach (var uri in client.RedirectUris)
            {
                if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || !string.IsNullOrEmpty(u.Fragment))
                {
                    errors.Add($"Client '{client.ClientId}': redirect URI '{uri}' must be absolute and have no fragment (RFC 6749 §3.1.2).");
                }
            }
        }

        if (options.Lifetimes.AccessToken <= TimeSpan.Zero || options.Lifetimes.RefreshToken <= TimeSpan.Zero)
        {
            errors.Add("Token lifetimes must be positive.");
        }

        if (options.SigningKeys.CacheLifetime <= TimeSpan.Zero || options.SigningKeys.PropagationDelay <= options.SigningKeys.CacheLifetime)
        {
            errors.Add("Latchkey:SigningKeys:PropagationDelay must be longer than Latchkey:SigningKeys:CacheLifetime (a new key must reach every instance before it signs).");
        }

        if (options.Lifetimes.UnclaimedSignIn <= TimeSpan.Zero || options.Lifetimes.UnclaimedSignIn > options.Lifetimes.RefreshToken)
        {
            errors.Add($"Latchkey:Lifetimes:UnclaimedSignIn must be more than 0 and at most Latchkey:Lifetimes:RefreshToken (got {options.Lifetimes.UnclaimedSignIn}).");
        }

        if (options.Lifetimes.RefreshRetryWindow <= TimeSpan.Zero || options.Lifetimes.RefreshRetryWindow > TimeSpan.FromMinutes(5))
        {
            // Longer than a few minutes lets a stolen copy ride along for that long; zero signs honest retries out.
            errors.Add($"Latchkey:Lifetimes:RefreshRetryWindow must be more than 0 and at most 5 minutes (got {options.Lifetimes.RefreshRetryWindow}).");
        }

        if (options.Codex.Enabled && options.Lifetimes.AccessToken <= CodexRefreshMargin)
        {
            errors.Add(
                $"Latchkey:Lifetimes:AccessToken is {options.Lifetimes.AccessToken}, but the Codex client refreshes whenever under 5 minutes remain, "
                + "so it would refresh before every request. Set it above 00:05:00 (the default is 01:00:00), or switch the Codex client off (Latchkey:Codex:Enabled=false).");
        }

        GatewayOptionsValidation.Validate(options.Gateway, errors);
        errors.AddRange(SsoOptionsValidation.Validate(options.Sso));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
