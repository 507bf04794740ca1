using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The real server binary's command line: answers without starting, and one-line errors with exit code 1.</summary>
public sealed class ServerCommandLineTests
{
    [Fact]
    public async Task Help_AnswersWithoutStarting()
    {
        var (exit, stdout, stderr) = await RunAsync("--help");

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains("--port <n>", stdout, StringComparison.Ordinal);
        Assert.Contains("rotate-keys", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_AnswersWithoutStarting()
    {
        var (exit, stdout, _) = await RunAsync("--version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^Latchkey\.Server \d+\.\d+", stdout.Trim());
    }

    [Fact]
    public async Task BadSettings_EveryProblemListedOneLineEach_Exit1_NoStackTrace()
    {
        var (exit, stdout, stderr) = await RunAsync("--port", "abc", "--database", "oracle", "--issuer", "http://login.example.com", "--bogus", "1");

        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines, l => Assert.StartsWith("error: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Latchkey:Port (--port): 'abc'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Provider must be 'sqlite' or 'postgres'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("must use https", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Unknown option --bogus", StringComparison.Ordinal));
        Assert.Equal(4, lines.Length);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BusyPort_OneLineError_Exit1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exit, stdout, stderr) = await RunAsync("--port", port);

        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"127.0.0.1:{port}: address already in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("latchkey-cmdline-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataDirectory };
        foreach (var a in new[] { RepositoryPaths.ServerDll, "--data-dir", dataDirectory }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(dataDirectory, recursive: true);
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
