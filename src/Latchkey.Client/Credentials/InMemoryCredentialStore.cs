namespace Latchkey.Client.Credentials;

/// <summary>Keeps the credential in this process only: for embedding apps and tests.</summary>
internal sealed class InMemoryCredentialStore : ICredentialStore
{
    private readonly Lock gate = new();
    private AuthDotJson? stored;

    public string Description => "memory (this process only)";

    public Task<AuthDotJson?> LoadAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(stored?.Clone());
        }
    }

    public Task SaveAsync(AuthDotJson auth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auth);
        lock (gate)
        {
            stored = auth.Clone();
        }

        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var had = stored is not null;
            stored = null;
            return Task.FromResult(had);
        }
    }
}
