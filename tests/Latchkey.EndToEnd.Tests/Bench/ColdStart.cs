using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>Server cold start: from starting the process to the first answered request (GET /healthz), on a fresh SQLite directory.</summary>
public static class ColdStart
{
    public static async Task<double[]> MeasureAsync(ServerLaunch launch, int runs)
    {
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using var server = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("latchkey-bench-cold-").FullName, new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            }, launch: launch);
            using var http = new HttpClient();
            (await http.GetAsync(new Uri(server.Issuer + "/healthz"))).EnsureSuccessStatusCode();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return [.. times.Order()];
    }
}
