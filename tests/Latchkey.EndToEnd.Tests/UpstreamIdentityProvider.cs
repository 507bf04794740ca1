using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// A real upstream OpenID provider in its own process: node `oidc-provider` (tests/interop/upstream-idp.mjs) on a
/// loopback port, with one client (Latchkey) and the given users. Its login form takes any password; the login name
/// picks the user.
/// </summary>
public sealed class UpstreamIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "latchkey";
    public const string ClientSecret = "upstream-client-secret-0123456789";

    private readonly Process process;
    private readonly StringBuilder output = new();

    private UpstreamIdentityProvider(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public string Issuer => $"http://127.0.0.1:{Port}";

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// Skips the test when oidc-provider is not installed (fails in CI, which installs it). Call it before starting
    /// anything else: a skip thrown from InitializeAsync does not reach DisposeAsync, so a server started first would leak.
    /// </summary>
    public static void SkipUnlessInstalled()
    {
        var nodeModules = Path.Combine(RepositoryPaths.Root, "tests", "interop", "node_modules", "oidc-provider");
        if (!Directory.Exists(nodeModules))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "tests/interop/node_modules is missing; .ci/run installs it.");
            Assert.Skip("Run `npm ci --prefix tests/interop` to enable the single sign-on tests.");
        }
    }

    public static async Task<UpstreamIdentityProvider> StartAsync(int port, string redirectUri, IDictionary<string, object> users)
    {
        SkipUnlessInstalled();

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(RepositoryPaths.Root, "tests", "interop", "upstream-idp.mjs"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--client-id", ClientId, "--client-secret", ClientSecret, "--redirect-uri", redirectUri, "--users", JsonSerializer.Serialize(users),
                 })
        {
            start.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = start };
        var idp = new UpstreamIdentityProvider(process, port);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (idp.output)
            {
                idp.output.AppendLine(line);
            }

            if (line.StartsWith("ready ", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            await idp.DisposeAsync();
            throw new InvalidOperationException("The upstream provider did not start:\n" + idp.Output);
        }

        return idp;
    }

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

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
