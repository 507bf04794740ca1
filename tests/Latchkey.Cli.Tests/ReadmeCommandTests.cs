using System.Text.RegularExpressions;

namespace Latchkey.Cli.Tests;

/// <summary>
/// Issue 17: every `latchkey` command line in the README parses with the CLI as built, so the README cannot name an
/// option or command that does not exist. What each command does is proven by the CLI and end-to-end tests; this keeps
/// the documentation honest. `[--x]` is tried with the option; `a|b|c` is tried with each alternative.
/// </summary>
public sealed partial class ReadmeCommandTests
{
    public static TheoryData<string> ReadmeCommands()
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadLines(Path.Combine(Root(), "README.md")))
        {
            var match = LatchkeyInvocation().Match(Comment().Replace(line, string.Empty));
            if (!match.Success)
            {
                continue;
            }

            var command = match.Groups["args"].Value.Trim();
            command = Redirect().Replace(command, string.Empty).Trim();
            foreach (var expanded in Expand(OptionalGroup().Replace(command, "${inner}")))
            {
                data.Add(expanded);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReadmeCommands))]
    public void Readme_command_parses(string arguments)
    {
        var app = new CliApp(new CliConsole { Out = TextWriter.Null, Error = TextWriter.Null, In = TextReader.Null, InputIsTerminal = false });
        var parse = app.Build().Parse(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.True(parse.Errors.Count == 0, $"latchkey {arguments}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    [Fact]
    public void The_readme_has_latchkey_commands_to_check() => Assert.True(ReadmeCommands().Count >= 10);

    private static IEnumerable<string> Expand(string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var alternative = Array.FindIndex(words, w => w.Contains('|', StringComparison.Ordinal));
        if (alternative < 0)
        {
            return [command];
        }

        return words[alternative].Split('|').SelectMany(choice =>
            Expand(string.Join(' ', words.Take(alternative).Append(choice).Concat(words.Skip(alternative + 1)))));
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Latchkey.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A shell line that runs `latchkey` (first word, or after a pipe).</summary>
    [GeneratedRegex(@"^(?:[^#]*\|\s*)?latchkey\s+(?<args>[^`]*)$")]
    private static partial Regex LatchkeyInvocation();

    [GeneratedRegex(@"\s+#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\s*>\s*\S+.*$")]
    private static partial Regex Redirect();

    [GeneratedRegex(@"\[(?<inner>--?[\w-]+(?:\s+[A-Z]+)?)\]")]
    private static partial Regex OptionalGroup();
}
