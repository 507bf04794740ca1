using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// scripts/publish-server.sh gives a self-contained server: it starts with no .NET on PATH, creates its database
/// and answers /healthz. (The systemd unit and the Containerfile in packaging/ run exactly this output.)
/// </summary>
public sealed class PackagingTests
{
    [Fact]
    public async Task PublishScript_SelfContainedServer_StartsWithoutDotnetAndAnswersHealthz()
    {
        var output = Directory.CreateTempSubdirectory("latchkey-publish-").FullName;
        var data = Directory.CreateTempSubdirectory("latchkey-published-data-").FullName;
        try
        {
            var publish = await RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "scripts", "publish-server.sh"), output], TimeSpan.FromMinutes(8));
            Assert.True(publish.ExitCode == 0, publish.Output);
            var binary = Path.Combine(output, "Latchkey.Server");
            Assert.True(File.Exists(binary), publish.Output);
            Assert.True(File.Exists(Path.Combine(output, "libhostfxr.so")), "not self-contained: no runtime in the output");

            var port = FreePort();
            var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", data })
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["PATH"] = "/usr/bin:/bin"; // no dotnet to fall back on
            start.Environment.Remove("DOTNET_ROOT");
            using var server = Process.Start(start)!;
            server.OutputDataReceived += (_, _) => { };
            server.ErrorDataReceived += (_, _) => { };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient();
                string? health = null;
                for (var i = 0; i < 120 && health is null && !server.HasExited; i++)
                {
                    try
                    {
                        health = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(500);
                    }
                }

                Assert.NotNull(health);
                Assert.StartsWith("ok", health, StringComparison.OrdinalIgnoreCase);
                Assert.True(File.Exists(Path.Combine(data, "latchkey.db")));
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
            Directory.Delete(data, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
