using Latchkey.Client;
using Latchkey.Client.Credentials;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Cli;

/// <summary>
/// What every command needs: the same <see cref="LatchkeyClient"/> composition an app gets from the library, built
/// from the global options (`--server`, `-c`) and the console's environment.
/// </summary>
internal sealed class CliContext : IDisposable
{
    private readonly HttpClient http = new() { Timeout = ClientComposition.RequestTimeout };

    /// <summary>
    /// Composes the client; a broken config.toml stops the command with file and line (exit 1), a malformed `-c` or
    /// server URL is a usage error (exit 2) naming where the bad value came from. Config warnings go to stderr.
    /// </summary>
    public CliContext(CliConsole console, string? serverOption, bool verbose, IReadOnlyList<string> overrides)
    {
        Console = console;
        Verbose = verbose;
        foreach (var assignment in overrides)
        {
            try
            {
                Latchkey.Client.Configuration.ConfigLoader.ParseOverride(assignment);
            }
            catch (LatchkeyException ex)
            {
                throw new UsageException(ex.Message);
            }
        }

        var options = new LatchkeyClientOptions { Server = serverOption, Environment = console.GetEnvironmentVariable, OnWarning = console.Error.WriteLine };
        foreach (var assignment in overrides)
        {
            options.ConfigOverrides.Add(assignment);
        }

        try
        {
            Client = ClientComposition.Compose(options, http, TimeProvider.System);
        }
        catch (LatchkeyException ex) when (ex.Code == ErrorCodes.InvalidServerUrl)
        {
            http.Dispose();
            throw new UsageException(ex.Message);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public CliConsole Console { get; }

    public LatchkeyClient Client { get; }

    /// <summary>The server to sign in to; a usage error naming all three places it can come from when none is set.</summary>
    public string RequireServer() => Options.Server ?? throw new UsageException(
        $"No server given: pass --server <url>, set LATCHKEY_SERVER, or put server_url = \"https://…\" in {Path.Combine(Options.HomeOrDefault, "config.toml")}.");

    public bool Verbose { get; }

    public HttpClient Http => http;

    public OAuthClient OAuth => Auth.OAuth;

    public LatchkeyClientOptions Options => Client.Options;

    public ICredentialStore Store => Auth.Store;

    public AuthManager Auth => Client.Auth;

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
