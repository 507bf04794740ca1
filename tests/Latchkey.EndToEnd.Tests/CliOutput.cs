using System.Text.RegularExpressions;

namespace Latchkey.EndToEnd.Tests;

/// <summary>Recognises lines of the CLI's sign-in prompts.</summary>
public static partial class CliOutput
{
    /// <summary>The device user code line: four spaces, then XXXX-XXXX in the RFC 8628 consonant alphabet.</summary>
    public static bool IsUserCodeLine(string line) => UserCode().IsMatch(line);

    [GeneratedRegex("^    [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")]
    private static partial Regex UserCode();
}
