using Latchkey.Client;
using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Cli;

/// <summary>What every command needs, built from the parsed global options and the environment.</summary>
public sealed class CliContext : IDisposable
{
    /// <summary>
    /// Shorter than the server's refresh retry window (60 s), so a refresh that stalls can be retried and still get
    /// the same answer; a refresh that keeps failing gives up within <see cref="LatchkeyClientOptions.RefreshRetryBudget"/>.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient http = new() { Timeout = RequestTimeout };
    private AuthManager? auth;

    /// <summary>Loads the configuration layers; a broken config.toml stops the command with file, line and column.</summary>
    public CliContext(CliConsole console, string? serverOption, bool verbose, IReadOnlyList<string> overrides)
    {
        Console = console;
        Verbose = verbose;
        var home = LatchkeyClientOptions.DefaultHome(console.GetEnvironmentVariable);
        var config = ConfigLoader.Load(home, overrides, ConfigLoader.DefaultManagedPath(console.GetEnvironmentVariable));
        Options = new LatchkeyClientOptions
        {
            Home = home,
            Config = config,
            Server = (serverOption ?? console.GetEnvironmentVariable("LATCHKEY_SERVER") ?? config.ServerUrl)?.TrimEnd('/'),
        };
    }

    public CliConsole Console { get; }

    public bool Verbose { get; }

    public HttpClient Http => http;

    public OAuthClient OAuth => new(http);

    public LatchkeyClientOptions Options { get; }

    public ICredentialStore Store => Options.Store ??= CredentialStores.Create(Options.Config.CredentialsStore, Options.Home, Console.Error.WriteLine);

    public AuthManager Auth => auth ??= new AuthManager(Store, OAuth, Options, TimeProvider.System);

    public IBrowserLauncher Browser { get; init; } = new SystemBrowserLauncher();

    /// <summary>For tests: the loopback port the browser sign-in tries first (LATCHKEY_LOGIN_PORT).</summary>
    public int LoginPort => int.TryParse(Console.GetEnvironmentVariable("LATCHKEY_LOGIN_PORT"), out var p) ? p : LoopbackListener.PreferredPort;

    public void Detail(string message)
    {
        if (Verbose)
        {
            Console.Error.WriteLine(message);
        }
    }

    public void Dispose() => http.Dispose();
}
