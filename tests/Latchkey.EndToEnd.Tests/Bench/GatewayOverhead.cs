using System.Diagnostics;
using System.Net.Http.Headers;
using Latchkey.Tests.Fakes;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// Latency the model gateway adds over calling the upstream directly: one connection each way, requests alternating
/// between the two so drift on a shared machine hits both alike.
/// </summary>
public static class GatewayOverhead
{
    public static async Task<(Measurement Direct, Measurement Gateway)> MeasureAsync(LatchkeyTarget target, FakeResponsesUpstream upstream, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(upstream);
        var accessToken = (await BenchHttp.SignInsAsync(target, 1, CancellationToken.None))[0].GetProperty("access_token").GetString()!;
        using var direct = BenchHttp.NewClient(upstream.BaseUrl[..^"/v1".Length]);
        direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeResponsesUpstream.ApiKey);
        using var gateway = BenchHttp.NewClient(target.Server.Issuer);
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);

        var times = new[] { new List<double>(), new List<double>() };
        var errors = new long[2];
        var cpuBefore = target.Meter.CpuSeconds();
        target.Meter.ResetPeak();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; Stopwatch.GetElapsedTime(started) < duration; i++)
        {
            foreach (var (client, slot) in new[] { (direct, 0), (gateway, 1) })
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
                await response.Content.ReadAsByteArrayAsync();
                if (i < 100)
                {
                    continue; // warm-up
                }

                times[slot].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                errors[slot] += response.IsSuccessStatusCode ? 0 : 1;
            }
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = target.Meter.CpuSeconds() - cpuBefore;
        Measurement Of(int slot, string name, double cpuPer1000, double rss)
        {
            var sorted = times[slot].Order().ToArray();
            return new Measurement("gateway GET /v1/models, 1 conn, alternating", name, 1, sorted.Length, errors[slot], seconds,
                LoadGenerator.Percentile(sorted, 50), LoadGenerator.Percentile(sorted, 99), sorted.Length == 0 ? 0 : sorted[^1],
                sorted.Count(x => x >= 1000), cpuPer1000, rss, null);
        }

        return (Of(0, target.Name + " (upstream direct)", 0, 0), Of(1, target.Name, times[1].Count == 0 ? 0 : cpu / times[1].Count * 1000, target.Meter.PeakRssMegabytes()));
    }
}
