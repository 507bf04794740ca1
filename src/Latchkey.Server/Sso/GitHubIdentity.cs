using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Latchkey.Server.Configuration;

namespace Latchkey.Server.Sso;

/// <summary>
/// GitHub is OAuth 2.0, not OpenID Connect: no id_token, so who signed in comes from its REST API. The subject is the
/// numeric account id (stable; the login name can be changed and reused). The address is the one `/user/emails` marks
/// primary, and it counts as verified only when GitHub says so there — never the public `email` of `/user`, which the
/// person types and GitHub does not verify (the linking rule, docs/server-security.md "Account linking").
/// </summary>
public static class GitHubIdentity
{
    /// <summary>The identity under <see cref="SsoClaims"/> names, or null when `/user` has no numeric id.</summary>
    public static ClaimsIdentity? Map(SsoProviderOptions provider, JsonElement user, JsonElement emails)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (user.ValueKind != JsonValueKind.Object || !user.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out var number) || number <= 0)
        {
            return null;
        }

        var (email, verified) = PrimaryEmail(emails);
        var claims = new List<Claim>
        {
            new(SsoClaims.Provider, provider.Name),
            new(SsoClaims.Issuer, provider.ResolveAuthority() ?? string.Empty),
            new(SsoClaims.Subject, number.ToString(CultureInfo.InvariantCulture)),
            new(SsoClaims.EmailVerified, verified ? "true" : "false"),
        };
        if (email is { Length: > 0 and <= 254 })
        {
            claims.Add(new Claim(SsoClaims.Email, email));
        }

        var name = Text(user, "name") ?? Text(user, "login");
        if (name is { Length: > 0 and <= 200 })
        {
            claims.Add(new Claim(SsoClaims.Name, name));
        }

        return new ClaimsIdentity(claims, "external", SsoClaims.Subject, null);
    }

    private static (string? Email, bool Verified) PrimaryEmail(JsonElement emails)
    {
        if (emails.ValueKind != JsonValueKind.Array)
        {
            return (null, false);
        }

        foreach (var entry in emails.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("primary", out var primary) && primary.ValueKind == JsonValueKind.True)
            {
                var verified = entry.TryGetProperty("verified", out var v) && v.ValueKind == JsonValueKind.True;
                return (Text(entry, "email"), verified);
            }
        }

        return (null, false);
    }

    private static string? Text(JsonElement element, string property)
        => element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
