using System.Data.Common;
using System.Reflection;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>
/// The server's own command line: `--help` and `--version` answer without starting; settings are checked before
/// anything starts and every problem is listed, one line each; start-up failures an operator can fix (a busy port,
/// an unreachable database, a missing key file) are one line on stderr and exit code 1, never a stack trace.
/// </summary>
public static class ServerCommandLine
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--port"] = "Latchkey:Port",
        ["--listen"] = "Latchkey:ListenAddress",
        ["--issuer"] = "Latchkey:Issuer",
        ["--data-dir"] = "Latchkey:DataDirectory",
        ["--database"] = "Latchkey:Database:Provider",
        ["--connection-string"] = "Latchkey:Database:ConnectionString",
        ["--key-file"] = "Latchkey:KeyProtection:KeyFile",
        ["--log-format"] = "Latchkey:Logging:Format",
    };

    // Options the ASP.NET host itself understands.
    private static readonly string[] HostOptions = ["--urls", "--environment", "--contentRoot", "--applicationName"];

    public const string Help = """
        Latchkey server: OAuth 2.0 / OpenID Connect sign-in for command-line tools.

        Usage:
          Latchkey.Server [options]                 serve
          Latchkey.Server migrate [options]         apply database migrations and exit
          Latchkey.Server setup-link [options]      print a single-use link to create the first owner
          Latchkey.Server rotate-keys [options]     publish a new signing key (it signs once every instance has it)
          Latchkey.Server verify-email ADDRESS      mark an address verified (email_verified=true) after checking it
          Latchkey.Server disable-account ADDRESS   end every session and token of an account and refuse its sign-ins
          Latchkey.Server enable-account ADDRESS    let a disabled account sign in again
          Latchkey.Server backup FILE [options]     online copy of the SQLite database
          Latchkey.Server --help | --version

        Options (each is also a setting: appsettings.json next to the binary, or an environment variable):
          --port <n>                  Latchkey:Port (5080)                     Latchkey__Port
          --listen <address>          Latchkey:ListenAddress (127.0.0.1)
          --issuer <url>              Latchkey:Issuer, the public https base URL
          --data-dir <path>           Latchkey:DataDirectory (data): SQLite database and key file
          --database sqlite|postgres  Latchkey:Database:Provider
          --connection-string <cs>    Latchkey:Database:ConnectionString
          --key-file <path>           Latchkey:KeyProtection:KeyFile (default <data-dir>/key-protection.key);
                                      or the key itself, base64: Latchkey__KeyProtection__Key
          --log-format text|json      Latchkey:Logging:Format

        Health: GET /healthz (process alive), GET /readyz (database, migrations, signing key).
        """;

    /// <summary>Answers `--help` / `--version`; true if the process should exit with <paramref name="exitCode"/>.</summary>
    public static bool TryAnswer(string[] args, TextWriter output, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        exitCode = 0;
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            output.WriteLine(Help);
            return true;
        }

        if (args.Contains("--version"))
        {
            var assembly = typeof(ServerCommandLine).Assembly;
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString();
            output.WriteLine($"Latchkey.Server {version}");
            return true;
        }

        return false;
    }

    /// <summary>Every problem with the arguments and settings, one line each; empty when the server may start.</summary>
    public static IReadOnlyList<string> FindProblems(string[] args, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        // `--Section=` (nothing after '=') is how a host that passes its configuration as arguments names each section
        // (WebApplicationFactory on Kestrel does); it sets nothing, so it is not an unknown option.
        foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !a.EndsWith('=')))
        {
            var name = arg.Split('=', 2)[0];
            if (!Switches.ContainsKey(name) && !HostOptions.Contains(name, StringComparer.OrdinalIgnoreCase) && !name.Contains(':', StringComparison.Ordinal))
            {
                problems.Add($"Unknown option {name} (see --help).");
            }
        }

        // Bind each setting on its own, so every value that does not convert is named, not just the first; the
        // others are then checked together, so a bad port does not hide a bad issuer.
        var section = configuration.GetSection(LatchkeyServerOptions.Section);
        var good = new List<KeyValuePair<string, string?>>();
        foreach (var leaf in section.AsEnumerable().Where(kv => kv.Value is not null))
        {
            try
            {
                new ConfigurationBuilder().AddInMemoryCollection([leaf]).Build().GetSection(LatchkeyServerOptions.Section).Get<LatchkeyServerOptions>();
                good.Add(leaf);
            }
            catch (InvalidOperationException e)
            {
                var flag = Switches.FirstOrDefault(s => string.Equals(s.Value, leaf.Key, StringComparison.OrdinalIgnoreCase)).Key;
                problems.Add($"{leaf.Key}{(flag is null ? "" : $" ({flag})")}: '{leaf.Value}' is not a valid value ({(e.InnerException ?? e).Message.Split('\n')[0].Trim()})");
            }
        }

        var options = new ConfigurationBuilder().AddInMemoryCollection(good).Build().GetSection(LatchkeyServerOptions.Section).Get<LatchkeyServerOptions>() ?? new LatchkeyServerOptions();
        var result = new LatchkeyServerOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            problems.AddRange(result.Failures);
        }

        return problems;
    }

    /// <summary>Runs an operator command or serves; failures an operator can fix become one line and exit code 1.</summary>
    public static async Task<int> RunAsync(WebApplication app, string[] args, string[] settingArgs)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(args);
        // Checked after Build and before anything starts, for a process that serves through Kestrel. A test host
        // (WebApplicationFactory's TestServer) passes its own settings as arguments and expects misconfiguration as
        // an exception from start-up (options validation), so it is left to that.
        var kestrel = app.Services.GetRequiredService<IServer>().GetType().Namespace?.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true;
        var problems = kestrel ? FindProblems(settingArgs, app.Configuration) : [];
        // Read now: once the host has run, its service provider is disposed.
        var settings = problems.Count == 0 && kestrel ? app.Services.GetRequiredService<IOptions<LatchkeyServerOptions>>().Value : null;
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync("error: " + problem);
            }

            return 1;
        }

        try
        {
            if (OperatorCommands.IsOperatorCommand(args))
            {
                return await OperatorCommands.RunAsync(app, args);
            }

            app.UseLatchkeyServer();
            await app.RunAsync();
            return 0;
        }
        // Under a test host the exception is the test's to see.
        catch (Exception e) when (kestrel && Describe(e, settings) is { } lines)
        {
            foreach (var line in lines)
            {
                await Console.Error.WriteLineAsync("error: " + line);
            }

            return 1;
        }
    }

    private static IReadOnlyList<string>? Describe(Exception e, LatchkeyServerOptions? options)
    {
        options ??= new LatchkeyServerOptions();
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            e = aggregate.InnerExceptions[0];
        }

        return e switch
        {
            StartupException s => [s.Message],
            OptionsValidationException v => [.. v.Failures],
            IOException { InnerException: AddressInUseException } =>
                [$"cannot listen on {options.ListenAddress}:{options.Port}: address already in use. Stop what uses it or choose another --port."],
            DbException db => [$"cannot open the {options.Database.Provider} database: {db.Message.Split('\n')[0].Trim()}"],
            _ => null,
        };
    }
}
