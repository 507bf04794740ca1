namespace Latchkey.Server.Accounts;

public static class EmailAddress
{
    /// <summary>The form accounts, invitations and audit filters compare emails in.</summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToLowerInvariant();
    }

    /// <summary>The lower-cased domain of an address, or null when it has none.</summary>
    public static string? Domain(string? email)
    {
        var at = email?.Trim().LastIndexOf('@') ?? -1;
        var domain = at > 0 ? email!.Trim()[(at + 1)..].ToLowerInvariant() : null;
        return string.IsNullOrEmpty(domain) ? null : domain;
    }
}
