using System.Diagnostics;

namespace Latchkey.Client.Login;

/// <summary>Opens the system browser: xdg-open on Linux, open on macOS, the shell on Windows. Does nothing headless.</summary>
internal sealed class SystemBrowserLauncher : IBrowserLauncher
{
    /// <summary>No display, or an SSH session (a browser there would open on the wrong machine), or LATCHKEY_NO_BROWSER set.</summary>
    public static bool IsHeadless()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LATCHKEY_NO_BROWSER"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SSH_CONNECTION"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SSH_TTY")))
        {
            return true;
        }

        return OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()
            ? string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"))
            : false;
    }

    public bool TryOpen(string url)
    {
        if (IsHeadless())
        {
            return false;
        }

        try
        {
            var start = OperatingSystem.IsWindows() ? new ProcessStartInfo(url) { UseShellExecute = true }
                : OperatingSystem.IsMacOS() ? new ProcessStartInfo("open", [url])
                : new ProcessStartInfo("xdg-open", [url]);
            start.RedirectStandardError = !OperatingSystem.IsWindows();
            start.RedirectStandardOutput = !OperatingSystem.IsWindows();
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }
}
