namespace Latchkey.Client.Configuration;

/// <summary>A TOML syntax or semantic error, naming the file, line and column.</summary>
internal sealed class TomlException(string source, int line, int column, string problem)
    : Exception($"{source}:{line}:{column}: {problem}")
{
    public string File { get; } = source;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Problem { get; } = problem;
}
