namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>The repository this test assembly was built from: for tests that read its sources and documents.</summary>
public static class RepositoryFiles
{
    /// <summary>The folder holding <c>Latchkey.slnx</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The server's own source files with the given extension (".cs", ".sql", …), build output left out.</summary>
    public static IEnumerable<string> ServerSources(string extension)
    {
        var server = Path.Combine(Root, "src", "Latchkey.Server");
        return Directory.EnumerateFiles(server, "*" + extension, SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(server, f).Replace('\\', '/') is var relative
                        && !relative.StartsWith("obj/", StringComparison.Ordinal) && !relative.StartsWith("bin/", StringComparison.Ordinal));
    }

    private static string FindRoot()
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
}
