using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;
using Latchkey.Client.OAuth;

namespace Latchkey.Client;

/// <summary>
/// The one place a Latchkey client is put together, for the `latchkey` CLI and for every app that embeds the library:
/// the configuration layers (config.toml, `-c`/<see cref="LatchkeyClientOptions.ConfigOverrides"/>, the administrator's
/// managed_config.toml, which wins), the server (explicit, else `LATCHKEY_SERVER`, else `server_url`), the credential
/// store `cli_auth_credentials_store` names, and the <see cref="AuthManager"/> that enforces the restrictions.
/// </summary>
internal static class ClientComposition
{
    /// <summary>Shorter than the server's refresh retry window (60 s), so a stalled refresh can be retried and get the same answer.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Builds the client. A broken config file or an invalid setting throws <see cref="ErrorCodes.ConfigInvalid"/>
    /// naming the file and line; a malformed server URL throws <see cref="ErrorCodes.InvalidServerUrl"/> naming where it came from.
    /// </summary>
    public static LatchkeyClient Compose(LatchkeyClientOptions options, HttpClient? http, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var environment = options.Environment;
        var home = options.HomeOrDefault;
        options.Home = home;
        var config = ConfigLoader.Load(home, [.. options.ConfigOverrides], ConfigLoader.DefaultManagedPath(environment));
        foreach (var warning in config.Warnings)
        {
            options.OnWarning?.Invoke(warning);
        }

        options.Config = config;
        options.Server = ResolveServer(options.Server, environment("LATCHKEY_SERVER"), config);
        options.Store ??= CredentialStores.Create(config.CredentialsStore, home, config.Describe("cli_auth_credentials_store"), options.OnWarning ?? (_ => { }));
        var owned = http is null ? new HttpClient { Timeout = RequestTimeout } : null;
        var oauth = new OAuthClient(http ?? owned!);
        return new LatchkeyClient(new AuthManager(options.Store, oauth, options, time), owned);
    }

    private static string? ResolveServer(string? explicitServer, string? environment, LatchkeyConfig config)
    {
        var (raw, source) = explicitServer is not null ? (explicitServer, "--server")
            : !string.IsNullOrWhiteSpace(environment) ? (environment, "LATCHKEY_SERVER")
            : config.ServerUrl is not null ? (config.ServerUrl, $"server_url ({config.Describe("server_url")})")
            : (null, null);
        if (raw is null)
        {
            return null;
        }

        return ServerUrl.TryNormalize(raw, out var normalized, out var problem)
            ? normalized
            : throw new LatchkeyException(ErrorCodes.InvalidServerUrl, $"{source}: {problem}{(problem.EndsWith('?') ? string.Empty : ".")}");
    }
}
