using System.Diagnostics;

namespace Latchkey.Cli.Tests;

/// <summary>What a person meets when they get the command line wrong: one line, exit code 2, never a stack trace.</summary>
public sealed class CliUsageTests : IDisposable
{
    private readonly CliHarness cli = new();

    [Theory]
    [InlineData("127.0.0.1:5080", "has no scheme: did you mean http://127.0.0.1:5080")]
    [InlineData("localhost:5080", "has no scheme")]
    [InlineData("htp://127.0.0.1:5080", "must start with http:// or https://")]
    [InlineData("http://127.0.0.1:99999", "port is between 1 and 65535")]
    [InlineData("http://user:pw@127.0.0.1:5080", "no user name, password, query or fragment")]
    [InlineData("   ", "is empty")]
    public async Task BadServerUrl_IsAUsageErrorNamingTheProblem(string server, string expected)
    {
        var (code, output, err) = await cli.RunAsync(null, false, "login", "--device-auth", "--server", server);

        Assert.Equal(2, code);
        Assert.StartsWith("--server: ", err, StringComparison.Ordinal);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", err, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public async Task ServerUrlWithTrailingSpaceAndSlash_IsAccepted()
    {
        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth", "--server", "http://127.0.0.1:9/ ");

        Assert.Equal(1, code); // nothing listens there: a connection failure, not a usage error
        Assert.Contains("http://127.0.0.1:9", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadServerUrlInConfig_NamesConfigToml()
    {
        cli.WriteUserConfig("server_url = \"login.example.com\"\n");

        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth");

        Assert.Equal(2, code);
        Assert.Contains($"server_url (set in {Path.Combine(cli.Home, "config.toml")} line 1)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("--server", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServerAnywhere_SaysAllThreePlaces()
    {
        var (code, _, err) = await cli.RunAsync(null, false, "login", "--device-auth");

        Assert.Equal(2, code);
        Assert.Contains("--server", err, StringComparison.Ordinal);
        Assert.Contains("LATCHKEY_SERVER", err, StringComparison.Ordinal);
        Assert.Contains("config.toml", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("=value")]
    public async Task MalformedConfigOverride_IsAUsageError(string assignment)
    {
        var (code, _, err) = await cli.RunAsync(null, false, "-c", assignment, "login", "status");

        Assert.Equal(2, code);
        Assert.Contains("-c", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BareCommand_ShowsHelpWithExamplesEnvironmentAndExitCodes()
    {
        var (code, output, err) = await cli.RunAsync(null, false);

        Assert.Equal(0, code);
        Assert.Empty(err);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains("Examples:", output, StringComparison.Ordinal);
        Assert.Contains("LATCHKEY_SERVER", output, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompletionBash_IsValidBashAndCompletesSubcommandsAfterValuedOptions()
    {
        var (code, script, _) = await cli.RunAsync(null, false, "completion", "bash");
        Assert.Equal(0, code);
        var file = Path.Combine(Path.GetTempPath(), "latchkey-completion-" + Guid.NewGuid().ToString("N") + ".bash");
        await File.WriteAllTextAsync(file, script);
        try
        {
            // The value of --server is not a command word: `latchkey --server URL login st<TAB>` offers `status`.
            var output = await RunBashAsync($"source '{file}'; COMP_WORDS=(latchkey --server http://x login st); COMP_CWORD=4; _latchkey; echo \"${{COMPREPLY[@]}}\"");
            Assert.Equal("status", output.Trim());
            output = await RunBashAsync($"source '{file}'; COMP_WORDS=(latchkey lo); COMP_CWORD=1; _latchkey; echo \"${{COMPREPLY[@]}}\"");
            Assert.Equal("login logout", output.Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("zsh", "#compdef latchkey")]
    [InlineData("fish", "complete -c latchkey -n '__fish_seen_subcommand_from login' -a status")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName latchkey")]
    public async Task Completion_OtherShells(string shell, string expected)
    {
        var (code, script, _) = await cli.RunAsync(null, false, "completion", shell);

        Assert.Equal(0, code);
        Assert.Contains(expected, script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_UnknownShell_IsAUsageError()
    {
        var (code, _, _) = await cli.RunAsync(null, false, "completion", "tcsh");

        Assert.Equal(2, code);
    }

    [Fact]
    public async Task ManPage_IsCleanRoff_AndNamesEveryCommandAndOption()
    {
        var (code, page, _) = await cli.RunAsync(null, false, "manpage");
        Assert.Equal(0, code);
        var file = Path.Combine(Path.GetTempPath(), "latchkey-" + Guid.NewGuid().ToString("N") + ".1");
        await File.WriteAllTextAsync(file, page);
        try
        {
            // -ww: every groff warning; -z: no output. A clean page prints nothing on stderr.
            using var groff = Process.Start(new ProcessStartInfo("groff", ["-man", "-ww", "-z", file]) { RedirectStandardError = true })!;
            var warnings = await groff.StandardError.ReadToEndAsync();
            await groff.WaitForExitAsync();
            Assert.Equal(0, groff.ExitCode);
            Assert.Equal(string.Empty, warnings);
        }
        finally
        {
            File.Delete(file);
        }

        // Generated from the same command tree as the completion scripts, so nothing can be missing or stale.
        var text = page.Replace("\\-", "-", StringComparison.Ordinal);
        foreach (var (path, words) in Latchkey.Cli.Commands.CompletionCommand.Collect(new CliApp(new CliConsole { Out = TextWriter.Null, Error = TextWriter.Null, In = TextReader.Null, InputIsTerminal = false }).Build()))
        {
            Assert.Contains(path.Length == 0 ? ".SH GLOBAL OPTIONS" : $".SS \"latchkey {path}", text, StringComparison.Ordinal);
            foreach (var word in words.Where(w => w.StartsWith('-')))
            {
                Assert.Contains(word, text, StringComparison.Ordinal);
            }
        }

        Assert.Contains(".SH EXIT STATUS", text, StringComparison.Ordinal);
        Assert.Contains("LATCHKEY_ACCESS_TOKEN", text, StringComparison.Ordinal);
    }

    private static async Task<string> RunBashAsync(string script)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    public void Dispose() => cli.Dispose();
}
