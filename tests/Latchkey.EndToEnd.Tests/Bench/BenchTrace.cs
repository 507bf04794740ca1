using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// Profiles a measured part when bench/run.sh --trace or --perf names a workload: LATCHKEY_BENCH_TRACE is the tool,
/// LATCHKEY_BENCH_TRACE_MATCH a piece of "work | server". dotnet-trace samples every thread's stack, parked ones too
/// (where threads wait); perf samples what runs on the CPU, kernel and native libraries included (where the CPU goes).
/// </summary>
public static class BenchTrace
{
    private const string PerfStatEvents =
        "task-clock,context-switches,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64," +
        "syscalls:sys_enter_pread64,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait," +
        "syscalls:sys_enter_sched_yield,syscalls:sys_enter_futex,syscalls:sys_enter_getpid";

    private static volatile bool armed;

    /// <summary>From now on measured parts are profiled (not the warm-up's, which run the same work under the same names).</summary>
    public static void Arm() => armed = true;

    public static Process? StartIfAsked(string work, string target, int pid, TimeSpan duration)
    {
        var tool = Environment.GetEnvironmentVariable("LATCHKEY_BENCH_TRACE");
        var match = Environment.GetEnvironmentVariable("LATCHKEY_BENCH_TRACE_MATCH");
        if (!armed || string.IsNullOrEmpty(tool) || string.IsNullOrEmpty(match) || !$"{work} | {target}".Contains(match, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var name = new string([.. $"{work}-{target}".Select(c => char.IsLetterOrDigit(c) ? c : '-')]);
        var output = Path.Combine(RepositoryPaths.Root, "artifacts", "bench", name);
        var process = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // perf: the system calls and context switches counted (perf stat, for "per request" figures), around the
        // sampled stacks (perf record), both of the server for the measured part.
        var arguments = Path.GetFileName(tool) == "perf"
            ? ["stat", "-e", PerfStatEvents, "-p", process, "-o", output + ".stat.txt", "--",
                tool, "record", "-g", "-F", "999", "-p", process, "-o", output + ".perf.data", "--", "sleep", duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : new[] { "collect", "-p", process, "--profile", "dotnet-sampled-thread-time", "--duration", duration.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture), "-o", output + ".nettrace" };
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        var profiler = Process.Start(start)!;
        _ = profiler.StandardOutput.ReadToEndAsync();
        _ = profiler.StandardError.ReadToEndAsync();
        return profiler;
    }
}
