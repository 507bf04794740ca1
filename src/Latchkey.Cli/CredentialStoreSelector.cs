using Latchkey.Client;
using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;

namespace Latchkey.Cli;

/// <summary>Turns `cli_auth_credentials_store` into a store, checking that the chosen one works here.</summary>
internal static class CredentialStoreSelector
{
    public static ICredentialStore Create(string setting, string home, TextWriter warnings) => setting switch
    {
        LatchkeyConfig.StoreEphemeral => new InMemoryCredentialStore(),
        LatchkeyConfig.StoreKeyring or LatchkeyConfig.StoreAuto => throw new LatchkeyException(
            ErrorCodes.CredentialStoreUnavailable, $"cli_auth_credentials_store = \"{setting}\" is not supported by this build yet. Valid stores here: file, ephemeral."),
        _ => new FileCredentialStore(home),
    };
}
