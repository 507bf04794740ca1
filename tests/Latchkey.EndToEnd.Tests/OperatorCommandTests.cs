using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The operator subcommands of the real server binary, against one SQLite data directory.</summary>
public sealed class OperatorCommandTests : IDisposable
{
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("latchkey-ops-").FullName;

    [Fact]
    public async Task MigrateSetupLinkRotateKeys_WorkAndThenTheServerUsesTheirResults()
    {
        var migrate = await RunAsync("migrate");
        var migrateAgain = await RunAsync("migrate");
        var link = await RunAsync("setup-link");
        var rotate = await RunAsync("rotate-keys");

        Assert.Equal(0, migrate.ExitCode);
        Assert.Contains("Applied: 0001_initial", migrate.Output, StringComparison.Ordinal);
        Assert.Contains("Schema is up to date.", migrateAgain.Output, StringComparison.Ordinal);
        Assert.Matches(@"http://127\.0\.0\.1:\d+/setup\?token=[A-Za-z0-9_\-]{43}", link.Output);
        Assert.Contains("is published now and signs from", rotate.Output, StringComparison.Ordinal);

        await using var server = await ServerProcess.StartAsync(dataDirectory);
        using var http = new HttpClient();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(server.Issuer + "/.well-known/jwks.json")))!;
        Assert.Equal(2, jwks["keys"]!.AsArray().Count); // the first key and the rotated one
        var token = link.Output[(link.Output.IndexOf("token=", StringComparison.Ordinal) + 6)..].Trim();
        var setupPage = await http.GetAsync(new Uri($"{server.Issuer}/setup?token={token}"));
        Assert.Equal(System.Net.HttpStatusCode.OK, setupPage.StatusCode);
    }

    [Fact]
    public async Task VerifyEmail_UnknownAddressOrNone_ExitsNonZeroWithMessage()
    {
        var unknown = await RunAsync("verify-email nobody@example.com");
        var missing = await RunAsync("verify-email");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No account has the address nobody@example.com", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Usage: verify-email ADDRESS", missing.Output, StringComparison.Ordinal);
    }

    /// <summary>The commands are wired to the real binary; what disabling does is proven by AccountDisablingTests.</summary>
    [Theory]
    [InlineData("disable-account")]
    [InlineData("enable-account")]
    [InlineData("reset-mfa")]
    public async Task DisableOrEnableAccount_UnknownAddressOrNone_ExitsNonZeroWithMessage(string command)
    {
        var unknown = await RunAsync($"{command} nobody@example.com");
        var missing = await RunAsync(command);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No account has the address nobody@example.com", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"Usage: {command} ADDRESS", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownSetting_Invalid_ExitsNonZeroWithMessage()
    {
        var result = await RunAsync("migrate", "--database", "oracle");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Provider must be 'sqlite' or 'postgres'", result.Output, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string command, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { RepositoryPaths.ServerDll }.Concat(command.Split(' ')).Concat(["--data-dir", dataDirectory, "--port", "5999"]).Concat(extra))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
