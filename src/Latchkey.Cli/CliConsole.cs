namespace Latchkey.Cli;

/// <summary>The process's console, swappable so commands run in-process in tests.</summary>
public sealed class CliConsole
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required TextReader In { get; init; }

    /// <summary>True when stdin is a terminal: secrets must then not be read from it (they would be typed and echoed).</summary>
    public required bool InputIsTerminal { get; init; }

    /// <summary>True when stderr is a terminal: QR codes and progress dots are drawn only there, never into pipes or logs.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>Progress dots left the cursor mid-line: the next message starts on a line of its own.</summary>
    internal bool ErrorMidLine { get; set; }

    internal void EndErrorLine()
    {
        if (ErrorMidLine)
        {
            Error.WriteLine();
            ErrorMidLine = false;
        }
    }

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public static CliConsole System => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        InputIsTerminal = !Console.IsInputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };
}
