using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// Closed-loop load: <c>concurrency</c> virtual clients, each running its own step in a loop (each holds its own state,
/// e.g. its newest refresh token), for a fixed time or until the work runs out. A short unrecorded warm-up comes first.
/// </summary>
public static class LoadGenerator
{
    /// <summary>One request (or one timed part of a few) by virtual client <c>client</c>; false from <c>more</c> ends the clients.</summary>
    public delegate Task<StepOutcome> ClientStep(int client, CancellationToken cancellationToken);

    public static async Task<Measurement> RunAsync(
        string work, string target, ProcessMeter server, int concurrency, TimeSpan duration, TimeSpan warmUp, ClientStep step, Func<bool>? more = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(step);
        if (warmUp > TimeSpan.Zero)
        {
            await Loop(concurrency, warmUp, step, more, record: null);
        }

        using var trace = BenchTrace.StartIfAsked(work, target, server.Pid, duration);
        server.ResetPeak();
        var cpuBefore = server.CpuSeconds();
        var databaseBefore = server.DatabaseCpuSeconds();
        var jitBefore = server.JitThreads();
        var latencies = new List<double>[concurrency];
        var started = Stopwatch.GetTimestamp();
        var (errors, firstError) = await Loop(concurrency, duration, step, more, latencies);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = server.CpuSeconds() - cpuBefore;
        var database = server.DatabaseCpuSeconds() - databaseBefore;
        var jit = ProcessMeter.JitCpuSecondsBetween(jitBefore, server.JitThreads());
        if (trace is not null)
        {
            await trace.WaitForExitAsync();
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Measurement(
            work, target, concurrency, all.Length, errors, seconds,
            Percentile(all, 50), Percentile(all, 99), all.Length == 0 ? 0 : all[^1], all.Count(l => l >= 1000),
            all.Length == 0 ? 0 : cpu / all.Length * 1000, server.PeakRssMegabytes(), firstError, cpu > 0 ? jit / cpu : 0,
            all.Length == 0 ? null : database / all.Length * 1000);
    }

    public static double Percentile(double[] sorted, int percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static async Task<(long Errors, string? First)> Loop(int concurrency, TimeSpan duration, ClientStep step, Func<bool>? more, List<double>[]? record)
    {
        using var stop = new CancellationTokenSource(duration);
        long errors = 0;
        string? first = null;
        var clients = Enumerable.Range(0, concurrency).Select(i => Task.Run(async () =>
        {
            var mine = new List<double>(4096);
            if (record is not null)
            {
                record[i] = mine;
            }

            while (!stop.IsCancellationRequested && (more is null || more()))
            {
                var started = Stopwatch.GetTimestamp();
                StepOutcome outcome;
                try
                {
                    // Not cancelled by the deadline: a request under way is finished and counted.
                    outcome = await step(i, CancellationToken.None);
                }
                catch (HttpRequestException e)
                {
                    outcome = new StepOutcome(e.Message);
                }

                if (outcome.Skipped)
                {
                    continue;
                }

                var error = outcome.Error;
                mine.Add(outcome.TimedMs ?? Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (error is not null)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref first, error, null);
                }
            }
        })).ToArray();
        await Task.WhenAll(clients);
        return (errors, first);
    }
}
