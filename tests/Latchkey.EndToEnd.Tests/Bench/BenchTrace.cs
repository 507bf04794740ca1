using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// Profiles a measured part with dotnet-trace (EventPipe, sampled thread stacks), when bench/run.sh --trace names a
/// workload: LATCHKEY_BENCH_TRACE is the tool, LATCHKEY_BENCH_TRACE_MATCH a piece of "work | server".
/// </summary>
public static class BenchTrace
{
    public static Process? StartIfAsked(string work, string target, int pid, TimeSpan duration)
    {
        var tool = Environment.GetEnvironmentVariable("LATCHKEY_BENCH_TRACE");
        var match = Environment.GetEnvironmentVariable("LATCHKEY_BENCH_TRACE_MATCH");
        if (string.IsNullOrEmpty(tool) || string.IsNullOrEmpty(match) || !$"{work} | {target}".Contains(match, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var name = new string([.. $"{work}-{target}".Select(c => char.IsLetterOrDigit(c) ? c : '-')]);
        var output = Path.Combine(RepositoryPaths.Root, "artifacts", "bench", name + ".nettrace");
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "collect", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time", "--duration", duration.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture), "-o", output })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
