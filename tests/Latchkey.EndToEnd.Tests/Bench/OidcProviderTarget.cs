using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// The peer: node oidc-provider (bench/oidc-provider.mjs, installed by bench/run.sh) with its in-memory store. Its
/// control port mints codes and approves devices the way its own interaction pages would finish.
/// </summary>
public sealed class OidcProviderTarget : IBenchTarget
{
    private readonly Process process;
    private readonly HttpClient control;

    private OidcProviderTarget(Process process, int port, int controlPort)
    {
        this.process = process;
        Meter = new ProcessMeter(process.Id);
        Http = BenchHttp.NewClient($"http://127.0.0.1:{port}");
        control = BenchHttp.NewClient($"http://127.0.0.1:{controlPort}");
    }

    public string Name => "oidc-provider";

    public ProcessMeter Meter { get; }

    public HttpClient Http { get; }

    public string ClientId => "bench-cli";

    public string RedirectUri => "http://127.0.0.1:1455/auth/callback";

    public string TokenPath => "/token";

    public string UserInfoPath => "/me";

    public string DeviceAuthorizationPath => "/device/auth";

    public static async Task<OidcProviderTarget> StartAsync(string? cpus)
    {
        var script = Path.Combine(RepositoryPaths.Root, "bench", "oidc-provider.mjs");
        if (!Directory.Exists(Path.Combine(RepositoryPaths.Root, "bench", "node_modules", "oidc-provider")))
        {
            throw new InvalidOperationException("oidc-provider is not installed: run bench/run.sh (npm ci --prefix bench).");
        }

        var (port, controlPort) = (BenchHttp.FreePort(), BenchHttp.FreePort());
        var start = new ProcessStartInfo(cpus is null ? "node" : "taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (cpus is null ? [] : new[] { "-c", cpus, "node" }).Concat([script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), controlPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NODE_ENV"] = "production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data?.Contains("listening", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("oidc-provider did not start:\n" + log);
        }

        return new OidcProviderTarget(process, port, controlPort);
    }

    public async Task<IReadOnlyList<PkceCode>> MintCodesAsync(int count, CancellationToken cancellationToken)
    {
        var codes = new List<PkceCode>(count);
        while (codes.Count < count)
        {
            var pairs = Enumerable.Range(0, Math.Min(500, count - codes.Count)).Select(_ => BenchHttp.NewPkce()).ToList();
            using var response = await control.PostAsJsonAsync(new Uri("/codes", UriKind.Relative), new JsonObject { ["challenges"] = new JsonArray([.. pairs.Select(p => (JsonNode)p.Challenge)]) }, cancellationToken);
            response.EnsureSuccessStatusCode();
            var minted = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["codes"]!.AsArray();
            codes.AddRange(minted.Select((c, i) => new PkceCode((string)c!, pairs[i].Verifier)));
        }

        return codes;
    }

    public async Task ApproveDeviceAsync(string userCode, CancellationToken cancellationToken)
    {
        using var response = await control.PostAsJsonAsync(new Uri("/device", UriKind.Relative), new JsonObject { ["user_code"] = userCode }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        control.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
