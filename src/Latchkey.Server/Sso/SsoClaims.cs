using System.Security.Claims;
using Latchkey.Server.Configuration;

namespace Latchkey.Server.Sso;

/// <summary>The claims the external cookie keeps after an upstream sign-in, and how they become an <see cref="ExternalIdentity"/>.</summary>
public static class SsoClaims
{
    public const string Provider = "lk_provider";
    public const string Issuer = "iss";
    public const string Subject = "sub";
    public const string Email = "email";
    public const string EmailVerified = "email_verified";
    public const string Name = "name";

    /// <summary>The identity in a principal the external cookie holds; null when it is incomplete.</summary>
    public static ExternalIdentity? Read(ClaimsPrincipal? principal)
    {
        string? Get(string type) => principal?.FindFirst(type)?.Value;
        var provider = Get(Provider);
        var issuer = Get(Issuer);
        var subject = Get(Subject);
        return provider is null || string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject)
            ? null
            : new ExternalIdentity(provider, issuer, subject, Get(Email), string.Equals(Get(EmailVerified), "true", StringComparison.OrdinalIgnoreCase), Get(Name));
    }

    /// <summary>
    /// Keeps only what Latchkey uses, under its own names, from a validated id_token's claims — mapped as the operator
    /// configured (e.g. Entra's `xms_edov` as email_verified).
    /// </summary>
    public static ClaimsIdentity Map(SsoProviderOptions provider, ClaimsPrincipal upstream)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(upstream);
        string? Get(string type) => upstream.FindFirst(type)?.Value;
        var claims = new List<Claim>
        {
            new(Provider, provider.Name),
            // The handler removes the `iss` claim itself, but every claim it made from the validated id_token carries
            // that token's issuer (already checked against the provider's discovery document).
            new(Issuer, upstream.FindFirst("sub")?.Issuer ?? string.Empty),
            new(Subject, Get("sub") ?? string.Empty),
            // JSON true arrives as "true"/"True"; a string "true" from a sloppy provider is read the same way.
            new(EmailVerified, string.Equals(Get(provider.EmailVerifiedClaim), "true", StringComparison.OrdinalIgnoreCase) ? "true" : "false"),
        };
        if (Get(provider.EmailClaim) is { Length: > 0 and <= 254 } email)
        {
            claims.Add(new Claim(Email, email));
        }

        if (Get(provider.NameClaim) is { Length: > 0 and <= 200 } name)
        {
            claims.Add(new Claim(Name, name));
        }

        return new ClaimsIdentity(claims, "external", Subject, null);
    }
}
