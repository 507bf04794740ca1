using System.Diagnostics;
using System.Text;

namespace Latchkey.EndToEnd.Tests;

/// <summary>One run of the real `latchkey` binary (or the real `codex` binary) with its own home directory, stdin and environment.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> watches = [];

    private CliProcess(Process process) => this.process = process;

    public string Stdout
    {
        get
        {
            lock (stdout)
            {
                return stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public int Id => process.Id;

    public static CliProcess Start(string home, IDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryPaths.CliDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["LATCHKEY_HOME"] = home;
        start.Environment["LATCHKEY_NO_BROWSER"] = "1";
        start.Environment["LATCHKEY_LOGIN_PORT"] = "0";
        start.Environment.Remove("LATCHKEY_SERVER");
        start.Environment.Remove("LATCHKEY_API_KEY");
        start.Environment.Remove("LATCHKEY_ACCESS_TOKEN");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        return Launch(start, stdin);
    }

    /// <summary>The `codex` binary from npm @openai/codex (installed into tests/interop by scripts/install-test-deps.sh).</summary>
    public static string CodexPath => Path.Combine(RepositoryPaths.Root, "tests", "interop", "node_modules", ".bin", "codex");

    /// <summary>Starts codex with every outside connection sent to <paramref name="trap"/> (refused and counted).</summary>
    public static CliProcess StartCodex(string codexHome, OutsideConnectionTrap trap, IDictionary<string, string>? environment, string? stdin, params string[] args)
        => Launch(CodexStartInfo(codexHome, trap, environment, args), stdin);

    public static ProcessStartInfo CodexStartInfo(string codexHome, OutsideConnectionTrap trap, IDictionary<string, string>? environment, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(trap);
        var start = new ProcessStartInfo(CodexPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["CODEX_HOME"] = codexHome;
        start.Environment["NO_COLOR"] = "1";
        foreach (var name in new[] { "OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_ACCESS_TOKEN", "CODEX_AUTHAPI_BASE_URL", "CODEX_REVOKE_TOKEN_URL_OVERRIDE", "CODEX_REFRESH_TOKEN_URL_OVERRIDE" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (k, v) in trap.Environment.Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[k] = v;
        }

        return start;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCodexAsync(string codexHome, OutsideConnectionTrap trap, IDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        using var codex = StartCodex(codexHome, trap, environment, stdin, args);
        var code = await codex.WaitAsync(TimeSpan.FromSeconds(90));
        return (code, codex.Stdout, codex.Stderr);
    }

    private static CliProcess Launch(ProcessStartInfo start, string? stdin)
    {
        var cli = new CliProcess(new Process { StartInfo = start });
        cli.process.OutputDataReceived += (_, e) => cli.OnLine(cli.stdout, e.Data);
        cli.process.ErrorDataReceived += (_, e) => cli.OnLine(cli.stderr, e.Data);
        cli.process.Start();
        cli.process.BeginOutputReadLine();
        cli.process.BeginErrorReadLine();
        if (stdin is not null)
        {
            cli.process.StandardInput.Write(stdin);
        }

        cli.process.StandardInput.Close();
        return cli;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string home, IDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        using var cli = Start(home, environment, stdin, args);
        var code = await cli.WaitAsync(TimeSpan.FromSeconds(60));
        return (code, cli.Stdout, cli.Stderr);
    }

    /// <summary>Waits for an output line (stdout or stderr) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (watches)
        {
            foreach (var line in (Stdout + Stderr).Split('\n'))
            {
                if (match(line.TrimEnd('\r')))
                {
                    done.TrySetResult(line.TrimEnd('\r'));
                    return done.Task;
                }
            }

            watches.Add((match, done));
        }

        return done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit(); // flush the asynchronous output readers
        return process.ExitCode;
    }

    public void Kill() => process.Kill(entireProcessTree: true);

    private void OnLine(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }

        lock (watches)
        {
            foreach (var (match, done) in watches.Where(w => w.Match(line)).ToList())
            {
                done.TrySetResult(line);
            }
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
