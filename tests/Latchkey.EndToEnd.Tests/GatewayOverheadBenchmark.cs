using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Latency the gateway adds over calling the upstream directly, in the same run on the same machine: requests
/// alternate between the two so drift hits both alike. Run by bench/gateway-overhead.sh (LATCHKEY_BENCH=1);
/// skipped otherwise, since timing on a shared machine is a figure to read, not a pass/fail rule.
/// </summary>
public sealed class GatewayOverheadBenchmark(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    [Fact]
    public async Task Gateway_overhead_p50_p99()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LATCHKEY_BENCH") == "1", "Set LATCHKEY_BENCH=1 (bench/gateway-overhead.sh) to measure.");
        var runs = int.Parse(Environment.GetEnvironmentVariable("LATCHKEY_BENCH_RUNS") ?? "1000", CultureInfo.InvariantCulture);
        fixture.Upstream.EventDelay = TimeSpan.Zero;
        var upstreamRoot = fixture.Upstream.BaseUrl[..^"/v1".Length];
        using var direct = new HttpClient { BaseAddress = new Uri(upstreamRoot) };
        direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Latchkey.Tests.Fakes.FakeResponsesUpstream.ApiKey);
        using var gateway = new HttpClient { BaseAddress = new Uri(fixture.Server.Issuer) };
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.AccessToken);

        var report = new StringBuilder($"gateway overhead, {runs} requests each way, alternating, one connection each, same run\n");
        foreach (var (name, send) in new (string, Func<HttpClient, Task>)[]
        {
            ("GET /v1/models", async c => await (await c.GetAsync(new Uri("/v1/models", UriKind.Relative))).Content.ReadAsByteArrayAsync()),
            ("POST /v1/responses (SSE, whole stream)", async c =>
            {
                using var content = new StringContent("{\"model\":\"lk-test-model\",\"input\":\"hi\",\"stream\":true}", Encoding.UTF8, "application/json");
                await (await c.PostAsync(new Uri("/v1/responses", UriKind.Relative), content)).Content.ReadAsByteArrayAsync();
            }),
        })
        {
            var viaDirect = new List<double>(runs);
            var viaGateway = new List<double>(runs);
            for (var i = 0; i < runs + 100; i++)
            {
                foreach (var (client, into) in new[] { (direct, viaDirect), (gateway, viaGateway) })
                {
                    var started = Stopwatch.GetTimestamp();
                    await send(client);
                    if (i >= 100)
                    {
                        into.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
            }

            report.Append(CultureInfo.InvariantCulture, $"{name}: direct p50 {P(viaDirect, 50):F2} ms p99 {P(viaDirect, 99):F2} ms | gateway p50 {P(viaGateway, 50):F2} ms p99 {P(viaGateway, 99):F2} ms | added p50 {P(viaGateway, 50) - P(viaDirect, 50):F2} ms p99 {P(viaGateway, 99) - P(viaDirect, 99):F2} ms\n");
        }

        Directory.CreateDirectory(Path.Combine(RepositoryPaths.Root, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(RepositoryPaths.Root, "artifacts", "gateway-overhead.txt"), report.ToString());
        TestContext.Current.SendDiagnosticMessage(report.ToString());
    }

    private static double P(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }
}
