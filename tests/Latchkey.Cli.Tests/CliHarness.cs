namespace Latchkey.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output, a chosen stdin and a private LATCHKEY_HOME.</summary>
public sealed class CliHarness : IDisposable
{
    public string Home { get; } = Path.Combine(Path.GetTempPath(), "latchkey-clitest-" + Guid.NewGuid().ToString("N"));

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
            GetEnvironmentVariable = name => name == "LATCHKEY_HOME" ? Home : null,
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
