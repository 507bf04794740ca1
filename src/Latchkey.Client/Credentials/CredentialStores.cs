using Latchkey.Client.Configuration;

namespace Latchkey.Client.Credentials;

/// <summary>Turns `cli_auth_credentials_store` into a store; `auto` falls back to the file only with a warning.</summary>
internal static class CredentialStores
{
    public static ICredentialStore Create(string setting, string home, string setBy, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        switch (setting)
        {
            case LatchkeyConfig.StoreFile:
                return new FileCredentialStore(home);
            case LatchkeyConfig.StoreEphemeral:
                return new InMemoryCredentialStore();
            case LatchkeyConfig.StoreKeyring:
                return new KeyringCredentialStore(home);
            case LatchkeyConfig.StoreAuto:
                if (KeyringCredentialStore.Probe(out var reason))
                {
                    return new KeyringCredentialStore(home);
                }

                // Never a silent plaintext fallback: say where the credential goes and why.
                warn($"Warning: the OS keyring is not usable ({reason?.Split(". ")[0].TrimEnd('.')}); storing credentials in {Path.Combine(home, FileCredentialStore.FileName)} instead.");
                return new FileCredentialStore(home);
            default:
                throw new LatchkeyException(ErrorCodes.ConfigInvalid, $"Unknown credential store \"{setting}\" (cli_auth_credentials_store, {setBy}). Valid stores: file, keyring, auto, ephemeral.");
        }
    }
}
