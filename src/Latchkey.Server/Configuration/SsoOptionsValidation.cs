using System.Text.RegularExpressions;

namespace Latchkey.Server.Configuration;

/// <summary>Checks `Latchkey:Sso` at start-up; a misconfigured provider stops the server with every problem named.</summary>
public static partial class SsoOptionsValidation
{
    public static IEnumerable<string> Validate(SsoOptions sso)
    {
        ArgumentNullException.ThrowIfNull(sso);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sso.Providers.Count; i++)
        {
            var p = sso.Providers[i];
            var at = $"Latchkey:Sso:Providers:{i}";
            if (!NamePattern().IsMatch(p.Name))
            {
                yield return $"{at}:Name must be 1-32 lower-case letters, digits or dashes (got '{p.Name}').";
            }
            else if (!names.Add(p.Name))
            {
                yield return $"{at}:Name '{p.Name}' is used twice.";
            }

            var preset = p.Preset?.ToLowerInvariant();
            if (preset is not (null or "" or "entra" or "google" or "github"))
            {
                yield return $"{at}:Preset must be 'entra', 'google', 'github' or empty (got '{p.Preset}').";
            }

            // A multi-tenant Entra endpoint has no single issuer: any tenant's users could sign in.
            if (preset == "entra" && (string.IsNullOrWhiteSpace(p.TenantId) || p.TenantId is "common" or "organizations" or "consumers"))
            {
                yield return $"{at}:TenantId must be your directory (tenant) id for the 'entra' preset.";
            }

            var authority = p.ResolveAuthority();
            if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                yield return $"{at}:Authority must be the provider's issuer URL (got '{p.Authority}').";
            }
            else if (uri.Scheme == "http" && !uri.IsLoopback)
            {
                yield return $"{at}:Authority must use https unless it is a loopback address (got '{p.Authority}').";
            }

            if (string.IsNullOrWhiteSpace(p.ClientId))
            {
                yield return $"{at}:ClientId is required.";
            }

            if (string.IsNullOrEmpty(p.ClientSecret))
            {
                // The value is a secret: name the setting, never echo it.
                yield return $"{at}:ClientSecret is required (set it in the environment, e.g. Latchkey__Sso__Providers__{i}__ClientSecret).";
            }

            if (p.IsGitHub && !p.ResolveScopes().Contains("user:email", StringComparer.Ordinal))
            {
                // Without it GitHub does not say which addresses it verified, and nothing may link on an unverified one.
                yield return $"{at}:Scopes must include 'user:email' for the 'github' preset.";
            }

            if (p.IsGitHub && (!Uri.TryCreate(p.ResolveApiBaseUrl(), UriKind.Absolute, out var api) || (api.Scheme != "https" && !(api.Scheme == "http" && api.IsLoopback))))
            {
                yield return $"{at}:ApiBaseUrl must be an https URL (got '{p.ApiBaseUrl}').";
            }

            if (!p.IsGitHub && !p.ResolveScopes().Contains("openid", StringComparer.Ordinal))
            {
                yield return $"{at}:Scopes must include 'openid'.";
            }

            foreach (var domain in p.TrustedEmailDomains)
            {
                if (!DomainPattern().IsMatch(domain))
                {
                    yield return $"{at}:TrustedEmailDomains has '{domain}', which is not a domain name.";
                }
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")]
    internal static partial Regex DomainPattern();
}
