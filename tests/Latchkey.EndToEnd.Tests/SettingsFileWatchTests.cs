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
            await using (var server = await ServerProcess.StartAsync(Path.Combine(workingDirectory, "data"), workingDirectory: workingDirectory))
            {
                var watches = Directory.GetFiles($"/proc/{server.ProcessId}/fd")
                    .Select(fd => new FileInfo(fd).LinkTarget)
                    .Count(target => target == "anon_inode:inotify");
                Assert.Equal(0, watches);
            }
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }
}
