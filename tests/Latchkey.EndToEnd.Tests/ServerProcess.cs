using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The real Latchkey server binary, on a loopback port and a fresh SQLite data directory.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource<string?> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string issuerHost;
    private string? setupLink;

    private ServerProcess(int port, string dataDirectory, IDictionary<string, string> environment, string? workingDirectory, ServerLaunch launch)
    {
        Port = port;
        DataDirectory = dataDirectory;
        issuerHost = launch.IssuerHost;
        // Pinned with taskset (which execs, so the pid is the server's) when the bench keeps it off the load generator's core.
        var start = new ProcessStartInfo(launch.Cpus is null ? "dotnet" : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        var prefix = launch.Cpus is null ? [] : new[] { "-c", launch.Cpus, "dotnet" };
        foreach (var a in prefix.Concat([launch.ServerDll ?? RepositoryPaths.ServerDll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDirectory]))
        {
            start.ArgumentList.Add(a);
        }

        // Instances behind one public URL share an issuer, given in the environment; a lone server is its own issuer.
        if (!environment.ContainsKey("Latchkey__Issuer"))
        {
            start.ArgumentList.Add("--issuer");
            start.ArgumentList.Add(Issuer);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetResult(null);
    }

    public int Port { get; }

    /// <summary>For reading the process's memory from /proc.</summary>
    public int ProcessId => process.Id;

    public string DataDirectory { get; }

    public string Issuer => $"http://{issuerHost}:{Port}";

    public string? SetupLink => setupLink;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static Task<ServerProcess> StartAsync(IDictionary<string, string>? environment = null)
        => StartAsync(Directory.CreateTempSubdirectory("latchkey-e2e-").FullName, environment);

    public static async Task<ServerProcess> StartAsync(string dataDirectory, IDictionary<string, string>? environment = null, string? workingDirectory = null, ServerLaunch? launch = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var server = new ServerProcess(FreePort(), dataDirectory, environment ?? new Dictionary<string, string>(), workingDirectory, launch ?? new ServerLaunch());
            server.process.Start();
            server.process.BeginOutputReadLine();
            server.process.BeginErrorReadLine();
            var done = await Task.WhenAny(server.ready.Task, Task.Delay(TimeSpan.FromSeconds(120)));
            if (done == server.ready.Task && server.ready.Task.Result is not null)
            {
                return server;
            }

            var log = server.Output;
            await server.DisposeAsync();
            // Another process may have taken the port between probing and binding: try a new one.
            if (attempt >= 2 || !log.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("The server did not start:\n" + log);
            }
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        var link = SetupLinkPattern().Match(line);
        if (link.Success)
        {
            setupLink = link.Value;
        }

        if (line.Contains("Now listening on", StringComparison.Ordinal))
        {
            ready.TrySetResult(line);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL, keeping the data directory (for a restart on the same database).</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"http://\S+/setup\?token=[A-Za-z0-9_\-]+")]
    private static partial Regex SetupLinkPattern();
}
