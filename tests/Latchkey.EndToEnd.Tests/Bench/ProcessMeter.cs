using System.Globalization;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>A server process's CPU time (utime + stime from /proc/&lt;pid&gt;/stat) and peak RSS (VmHWM), read from outside.</summary>
public sealed class ProcessMeter(int pid)
{
    // USER_HZ: 100 on every Linux the project targets (sysconf(_SC_CLK_TCK)); /proc/<pid>/stat counts in these ticks.
    private const double TicksPerSecond = 100;

    public int Pid => pid;

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
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
