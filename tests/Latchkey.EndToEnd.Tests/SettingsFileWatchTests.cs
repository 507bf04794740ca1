namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// The real server binary started as the README starts it (data in ./data under the working directory) watches no
/// files: ASP.NET Core's default reload-on-change for appsettings.json put a recursive inotify watch on the working
/// directory, which woke a thread on every SQLite write below it and, started from a large directory, added a watch per
/// directory under it (the per-user inotify limits). Settings are read once; a change takes a restart.
/// </summary>
public sealed class SettingsFileWatchTests
{
    [Fact]
    public async Task The_server_holds_no_inotify_watch_on_its_working_directory()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inotify is Linux's.");
        var workingDirectory = Directory.CreateTempSubdirectory("latchkey-cwd-").FullName;
        try
        {
            // Polling instead of inotify (DOTNET_USE_POLLING_FILE_WATCHER, set in some container images) would hide a watch.
            var environment = new Dictionary<string, string> { ["DOTNET_USE_POLLING_FILE_WATCHER"] = "false" };
            await using (var server = await ServerProcess.StartAsync(Path.Combine(workingDirectory, "data"), environment, workingDirectory))
            {
                Assert.Equal(0, Directory.GetFiles($"/proc/{server.ProcessId}/fd").Count(IsInotify));
            }
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    private static bool IsInotify(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget == "anon_inode:inotify";
        }
        catch (IOException)
        {
            return false; // closed between the listing and the read
        }
    }
}
