namespace Latchkey.Server.Accounts;

public static class EmailAddress
{
    /// <summary>The form accounts, invitations and audit filters compare emails in.</summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToLowerInvariant();
    }
}
