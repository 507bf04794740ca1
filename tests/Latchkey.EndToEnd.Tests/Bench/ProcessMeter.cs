using System.Globalization;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// A server process's CPU time (utime + stime from /proc/&lt;pid&gt;/stat) and peak RSS (VmHWM), read from outside; and,
/// for a server whose database runs in processes of its own (PostgreSQL), those processes' CPU time too, so what a
/// request costs the machine is the sum (oidc-provider's store is in its own process; SQLite is in Latchkey's).
/// </summary>
public sealed class ProcessMeter(int pid, string? databaseCommand = null)
{
    // USER_HZ: 100 on every Linux the project targets (sysconf(_SC_CLK_TCK)); /proc/<pid>/stat counts in these ticks.
    private const double TicksPerSecond = 100;

    public int Pid => pid;

    /// <summary>The .NET runtime's background tier-up thread (".NET Tiered Compilation Worker", cut to 15 characters by the kernel).</summary>
    private const string TieringThread = ".NET Tiered Com";

    public double CpuSeconds() => StatCpuSeconds(File.ReadAllText($"/proc/{pid}/stat"));

    /// <summary>
    /// CPU time so far of every process on the machine named <c>databaseCommand</c> (all of a PostgreSQL cluster's
    /// processes: its pooled backends live as long as the server's connections, so a measurement sees them throughout);
    /// null for a server without one.
    /// </summary>
    public double? DatabaseCpuSeconds()
    {
        if (databaseCommand is null)
        {
            return null;
        }

        var total = 0.0;
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(process)[0]))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(process, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                if (stat.AsSpan(open + 1, stat.LastIndexOf(')') - open - 1).SequenceEqual(databaseCommand))
                {
                    total += StatCpuSeconds(stat);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended between the listing and the read.
            }
        }

        return total;
    }

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
        // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

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
