using System.Reflection;

namespace Latchkey.Client.Tests;

/// <summary>
/// The library's public API is a contract: this lists it, and a change must update PublicApi.approved.txt on purpose
/// (the System.CommandLine habit). Everything else is internal.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public async Task PublicApi_MatchesTheApprovedList()
    {
        var assembly = typeof(LatchkeyClient).Assembly;
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add(type.FullName!);
            var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m is not MethodInfo { IsSpecialName: true })
                .Select(m => "  " + m.MemberType + " " + m)
                .Order(StringComparer.Ordinal);
            lines.AddRange(members);
        }

        var actual = string.Join('\n', lines) + "\n";
        var approved = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "PublicApi.approved.txt"));
        Assert.True(approved.ReplaceLineEndings("\n") == actual, "The public API changed. If on purpose, update tests/Latchkey.Client.Tests/PublicApi.approved.txt to:\n" + actual);
    }
}
