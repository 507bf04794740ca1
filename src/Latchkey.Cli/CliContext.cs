using Latchkey.Client;
using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Cli;

/// <summary>What every command needs, built from the parsed global options and the environment.</summary>
public sealed class CliContext : IDisposable
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private AuthManager? auth;

    /// <summary>
    /// Loads the configuration layers; a broken config.toml stops the command with file, line and column (exit 1), a
    /// malformed `-c` or server URL is a usage error (exit 2) naming where the bad value came from.
    /// </summary>
    public CliContext(CliConsole console, string? serverOption, bool verbose, IReadOnlyList<string> overrides)
    {
        Console = console;
        Verbose = verbose;
        foreach (var assignment in overrides)
        {
            try
            {
                ConfigLoader.ParseOverride(assignment);
            }
            catch (LatchkeyException ex)
            {
                throw new UsageException(ex.Message);
            }
        }

        var home = LatchkeyClientOptions.DefaultHome(console.GetEnvironmentVariable);
        var config = ConfigLoader.Load(home, overrides, ConfigLoader.DefaultManagedPath(console.GetEnvironmentVariable));
        Options = new LatchkeyClientOptions
        {
            Home = home,
            Config = config,
            Server = ResolveServer(serverOption, console.GetEnvironmentVariable("LATCHKEY_SERVER"), config),
        };
    }

    public CliConsole Console { get; }

    /// <summary>The server to sign in to; a usage error naming all three places it can come from when none is set.</summary>
    public string RequireServer() => Options.Server ?? throw new UsageException(
        $"No server given: pass --server <url>, set LATCHKEY_SERVER, or put server_url = \"https://…\" in {Path.Combine(Options.Home, "config.toml")}.");

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

    private static string? ResolveServer(string? option, string? environment, LatchkeyConfig config)
    {
        var (raw, source) = option is not null ? (option, "--server")
            : !string.IsNullOrWhiteSpace(environment) ? (environment, "LATCHKEY_SERVER")
            : config.ServerUrl is not null ? (config.ServerUrl, $"server_url in {ConfigLoader.DescribeLayer(config.SourceOf("server_url"))}")
            : (null, null);
        if (raw is null)
        {
            return null;
        }

        return ServerUrl.TryNormalize(raw, out var normalized, out var problem)
            ? normalized
            : throw new UsageException($"{source}: {problem}{(problem.EndsWith('?') ? string.Empty : ".")}");
    }
}
