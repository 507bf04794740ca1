namespace Latchkey.Client.Credentials;

/// <summary>Where the credential cache lives. One small interface, a class per backend (file, memory; keyring later).</summary>
internal interface ICredentialStore
{
    /// <summary>For `login status`: e.g. "file (~/.latchkey/auth.json)".</summary>
    string Description { get; }

    /// <summary>The stored credential, or null when there is none. Throws <see cref="LatchkeyException"/> when it is unreadable.</summary>
    Task<AuthDotJson?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the stored credential atomically: a reader sees the old or the new one, never a mix.</summary>
    Task SaveAsync(AuthDotJson auth, CancellationToken cancellationToken);

    /// <summary>Removes the credential; false when there was none.</summary>
    Task<bool> DeleteAsync(CancellationToken cancellationToken);
}
