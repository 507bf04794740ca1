using Latchkey.Client;
using Latchkey.Client.Credentials;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Cli;

/// <summary>What every command needs, built from the parsed global options and the environment.</summary>
public sealed class CliContext(CliConsole console, string? serverOption, bool verbose) : IDisposable
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private AuthManager? auth;

    public CliConsole Console { get; } = console;

    public bool Verbose { get; } = verbose;

    public HttpClient Http => http;

    public OAuthClient OAuth => new(http);

    public LatchkeyClientOptions Options { get; } = new()
    {
        Home = HomeFrom(console),
        Server = (serverOption ?? console.GetEnvironmentVariable("LATCHKEY_SERVER"))?.TrimEnd('/'),
    };

    public ICredentialStore Store => Options.Store ??= new FileCredentialStore(Options.Home);

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

    private static string HomeFrom(CliConsole console)
    {
        var home = console.GetEnvironmentVariable("LATCHKEY_HOME");
        return string.IsNullOrWhiteSpace(home)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".latchkey")
            : Path.GetFullPath(home);
    }

    public void Dispose() => http.Dispose();
}
