using System.Text.RegularExpressions;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Architecture;

/// <summary>
/// The server's folders import in one direction, so a newcomer can read them bottom-up and no change can tie two
/// concerns into a cycle. A folder may import only folders of a strictly lower layer.
/// </summary>
public sealed partial class FolderDependencyTests
{
    // Lowest first. A new folder must be placed here on purpose.
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["Configuration"] = 0,
        ["Common"] = 0,
        ["Storage"] = 1,
        ["Audit"] = 2,
        ["Keys"] = 2,
        ["Web"] = 2,
        ["Accounts"] = 3,
        ["Workspaces"] = 4,
        ["OAuth"] = 5,
        // Single sign-on: upstream identities, linking, SSO domains. Beside OAuth: neither needs the other.
        ["Sso"] = 5,
        ["Api"] = 7,
        ["Codex"] = 7,
        ["Gateway"] = 7,
        ["Pages"] = 8,
        ["Hosting"] = 9,
    };

    [Fact]
    public void ServerFolders_ImportOnlyLowerLayers()
    {
        var root = Path.Combine(RepositoryFiles.Root, "src", "Latchkey.Server");
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal) || !relative.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            var folder = relative[..relative.IndexOf('/', StringComparison.Ordinal)];
            Assert.True(Layers.ContainsKey(folder), $"Folder {folder} has no layer in {nameof(FolderDependencyTests)}: place it deliberately.");
            foreach (Match m in UsingPattern().Matches(File.ReadAllText(file)))
            {
                var target = m.Groups[1].Value;
                if (target != folder && (!Layers.TryGetValue(target, out var layer) || layer >= Layers[folder]))
                {
                    violations.Add($"{relative} imports {target}");
                }
            }
        }

        Assert.Empty(violations);
    }

    [GeneratedRegex(@"^@?using Latchkey\.Server\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingPattern();
}
