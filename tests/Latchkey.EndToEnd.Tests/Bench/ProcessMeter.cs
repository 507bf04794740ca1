using System.Globalization;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// A server process's CPU time (utime + stime from /proc/&lt;pid&gt;/stat) and peak RSS (VmHWM), read from outside; and,
/// for a server whose database runs in processes of its own (PostgreSQL: its postmaster's pid), those processes' CPU
/// time too, so what a request costs the machine is the sum (oidc-provider's store is in its own process; SQLite is in
/// Latchkey's).
/// </summary>
public sealed class ProcessMeter(int pid, int? databasePostmaster = null)
{
    // USER_HZ: 100 on every Linux the project targets (sysconf(_SC_CLK_TCK)); /proc/<pid>/stat counts in these ticks.
    private const double TicksPerSecond = 100;

    public int Pid => pid;

    public double CpuSeconds() => StatCpuSeconds(File.ReadAllText($"/proc/{pid}/stat"));

    /// <summary>
    /// CPU time so far of the database cluster: its postmaster, every live child (the backends, the WAL writer, the
    /// checkpointer…) and every child that has ended (the postmaster's cutime + cstime, once it has reaped them), so a
    /// backend or an autovacuum worker that ends inside a measurement still counts. Null for a server without one.
    /// </summary>
    public double? DatabaseCpuSeconds()
    {
        if (databasePostmaster is not { } postmaster)
        {
            return null;
        }

        var fields = StatFields(File.ReadAllText($"/proc/{postmaster}/stat"));
        var total = (Ticks(fields, 11) + Ticks(fields, 12) + Ticks(fields, 13) + Ticks(fields, 14)) / TicksPerSecond;
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(process)[0]))
            {
                continue;
            }

            try
            {
                var child = StatFields(File.ReadAllText(Path.Combine(process, "stat")));
                if (Ticks(child, 1) == postmaster)
                {
                    total += (Ticks(child, 11) + Ticks(child, 12)) / TicksPerSecond;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended between the listing and the read; its time is now in the postmaster's cutime.
            }
        }

        return total;
    }

    /// <summary>The parent of a process: a PostgreSQL backend's is its cluster's postmaster.</summary>
    public static int ParentOf(int processId) => (int)Ticks(StatFields(File.ReadAllText($"/proc/{processId}/stat")), 1);

    /// <summary>The .NET runtime's background tier-up thread (".NET Tiered Compilation Worker", cut to 15 characters by the kernel).</summary>
    private const string TieringThread = ".NET Tiered Com";

    /// <summary>
    /// CPU time of the runtime's tiered-compilation thread(s) so far, by thread id: re-compiling hot code (ReadyToRun →
    /// instrumented → optimised) rather than serving. Empty for a server that has no such thread (node). The runtime
    /// ends the thread when it is idle and starts another, so compare two readings with <see cref="JitCpuSecondsBetween"/>.
    /// </summary>
    public Dictionary<int, double> JitThreads()
    {
        var threads = new Dictionary<int, double>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                if (stat.AsSpan(open + 1, stat.LastIndexOf(')') - open - 1).SequenceEqual(TieringThread))
                {
                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = StatCpuSeconds(stat);
                }
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return threads;
    }

    /// <summary>Tiering CPU between two readings; a thread that ended in between loses only its time since the first.</summary>
    public static double JitCpuSecondsBetween(Dictionary<int, double> before, Dictionary<int, double> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return after.Sum(t => t.Value - before.GetValueOrDefault(t.Key));
    }

    private static double StatCpuSeconds(string stat)
    {
        var fields = StatFields(stat);
        return (Ticks(fields, 11) + Ticks(fields, 12)) / TicksPerSecond;
    }

    // Fields after the command name, which is in parentheses and may hold spaces, from field 3 (state) on: [1] is the
    // parent pid (field 4), [11]-[14] utime, stime, cutime and cstime (fields 14-17).
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    private static long Ticks(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);

    /// <summary>Resets the peak RSS to the current RSS (proc(5), clear_refs "5"), so each measurement reports its own peak.</summary>
    public void ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (UnauthorizedAccessException)
        {
            // Not the process's owner: the peak then covers the process's life so far.
        }
        catch (IOException)
        {
        }
    }

    public double PeakRssMegabytes()
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
