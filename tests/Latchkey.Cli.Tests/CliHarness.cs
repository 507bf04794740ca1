namespace Latchkey.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output, a chosen stdin and a private LATCHKEY_HOME.</summary>
public sealed class CliHarness : IDisposable
{
    public string Home { get; } = Path.Combine(Path.GetTempPath(), "latchkey-clitest-" + Guid.NewGuid().ToString("N"));

    /// <summary>Where this harness's managed_config.toml lives (LATCHKEY_MANAGED_CONFIG).</summary>
    public string ManagedPath => Path.Combine(Home, "managed", "managed_config.toml");

    public void WriteManaged(string toml)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ManagedPath)!);
        File.WriteAllText(ManagedPath, toml);
    }

    public void WriteUserConfig(string toml)
    {
        Directory.CreateDirectory(Home);
        File.WriteAllText(Path.Combine(Home, "config.toml"), toml);
    }

    public async Task<(int ExitCode, string Out, string Err)> RunAsync(string? stdin, bool stdinIsTerminal, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole
        {
            Out = output,
            Error = error,
            In = new StringReader(stdin ?? string.Empty),
            InputIsTerminal = stdinIsTerminal,
            GetEnvironmentVariable = name => name switch { "LATCHKEY_HOME" => Home, "LATCHKEY_MANAGED_CONFIG" => ManagedPath, _ => null },
        };
        var code = await new CliApp(console).InvokeAsync(args);
        return (code, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(Home))
        {
            Directory.Delete(Home, recursive: true);
        }
    }
}
