using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The README's install line works: the CLI packs as a .NET tool that installs and runs.</summary>
public sealed class CliInstallTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("latchkey-install-").FullName;

    [Fact]
    public async Task PackedTool_InstallsAndRuns()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var packages = Path.Combine(work, "packages");
        var tools = Path.Combine(work, "tools");

        // --no-build: the solution build already made both target frameworks; rebuilding here would race other tests.
        await RunAsync("dotnet", "pack", Path.Combine(RepositoryPaths.Root, "src", "Latchkey.Cli"), "-c", configuration, "--no-build", "-o", packages);
        await RunAsync("dotnet", "tool", "install", "Latchkey.Cli", "--tool-path", tools, "--add-source", packages);
        var help = await RunAsync(Path.Combine(tools, "latchkey"), "--help");

        Assert.Contains("latchkey login --server", help, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout}{await stderr}");
        return await stdout;
    }

    public void Dispose() => Directory.Delete(work, recursive: true);
}
