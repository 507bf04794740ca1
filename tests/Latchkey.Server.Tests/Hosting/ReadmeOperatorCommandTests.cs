using System.Text.RegularExpressions;
using Latchkey.Server.Hosting;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>
/// Issue 17: every operator command the README shows (`dotnet run --project src/Latchkey.Server -- X …`) exists, and
/// every operator command that exists is in the README. What each does is proven by OperatorCommandTests (the real
/// binary) and the tests of the services behind them.
/// </summary>
public sealed partial class ReadmeOperatorCommandTests
{
    [Fact]
    public void The_readme_lists_exactly_the_operator_commands_there_are()
    {
        var named = File.ReadLines(Path.Combine(RepositoryFiles.Root, "README.md"))
            .Select(l => ServerInvocation().Match(l))
            .Where(m => m.Success && !m.Groups["command"].Value.StartsWith('-'))
            .Select(m => m.Groups["command"].Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.Equal(OperatorCommands.Names.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"^dotnet run --project src/Latchkey\.Server -- (?<command>\S+)")]
    private static partial Regex ServerInvocation();
}
