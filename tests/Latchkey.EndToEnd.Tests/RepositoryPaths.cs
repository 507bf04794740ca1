namespace Latchkey.EndToEnd.Tests;

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The server binary built alongside this test project (same configuration).</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
            var path = Path.Combine(Root, "src", "Latchkey.Server", "bin", configuration, "net10.0", "Latchkey.Server.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the server first.", path);
        }
    }

    /// <summary>The `latchkey` CLI built alongside this test project (run with `dotnet`).</summary>
    public static string CliDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var path = Path.Combine(Root, "src", "Latchkey.Cli", "bin", configuration, "net10.0", "latchkey.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the CLI first.", path);
        }
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
