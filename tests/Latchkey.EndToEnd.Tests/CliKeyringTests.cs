using Latchkey.Protocol.Tokens;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The credential store choice through the real CLI binary. Runs inside the D-Bus session scripts/test.sh starts.</summary>
public sealed class CliKeyringTests : IDisposable
{
    private static readonly Dictionary<string, string> NoSecretService = new() { ["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/latchkey-test-bus" };
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-kr-" + Guid.NewGuid().ToString("N"));

    // API keys are checked with the server at sign-in; these tests are about where the key is kept.
    private readonly Latchkey.Cli.Tests.FakeWhoAmIServer gateway = new(200, "{\"object\":\"list\",\"data\":[]}");

    private static void RequireSession()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "No D-Bus session: scripts/test.sh starts one in CI.");
            Assert.Skip("No D-Bus session with a Secret Service; run through scripts/test.sh.");
        }
    }

    [Fact]
    public async Task KeyringStore_LoginStatusLogout_NothingOnDisk()
    {
        RequireSession();
        var key = TokenFormat.Generate("sk-lk-");

        var login = await CliProcess.RunAsync(home, null, key, "login", "--with-api-key", "--server", gateway.Url, "-c", "cli_auth_credentials_store=keyring");
        var status = await CliProcess.RunAsync(home, null, null, "login", "status", "-c", "cli_auth_credentials_store=keyring");
        var token = await CliProcess.RunAsync(home, null, null, "token", "-c", "cli_auth_credentials_store=keyring");
        var logout = await CliProcess.RunAsync(home, null, null, "logout", "-c", "cli_auth_credentials_store=keyring");
        var after = await CliProcess.RunAsync(home, null, null, "login", "status", "-c", "cli_auth_credentials_store=keyring");

        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
        Assert.Contains("keyring (Secret Service: Latchkey Auth / cli|", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(key, token.Stdout.Trim());
        Assert.Equal(0, logout.ExitCode);
        Assert.Equal(1, after.ExitCode);
    }

    [Fact]
    public async Task Auto_WithoutSecretService_WarnsAndUsesTheFile()
    {
        var key = TokenFormat.Generate("sk-lk-");

        var login = await CliProcess.RunAsync(home, NoSecretService, key, "login", "--with-api-key", "--server", gateway.Url, "-c", "cli_auth_credentials_store=auto");

        Assert.Equal(0, login.ExitCode);
        Assert.Contains("Warning: the OS keyring is not usable", login.Stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(home, "auth.json"), login.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public async Task Auto_WithSecretService_UsesTheKeyringSilently()
    {
        RequireSession();
        var key = TokenFormat.Generate("sk-lk-");

        var login = await CliProcess.RunAsync(home, null, key, "login", "--with-api-key", "--server", gateway.Url, "-c", "cli_auth_credentials_store=auto");
        await CliProcess.RunAsync(home, null, null, "logout", "-c", "cli_auth_credentials_store=auto");

        Assert.Equal(0, login.ExitCode);
        Assert.DoesNotContain("Warning", login.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public async Task Keyring_WithoutSecretService_IsAOneLineErrorSayingWhatToDo()
    {
        var login = await CliProcess.RunAsync(home, NoSecretService, TokenFormat.Generate("sk-lk-"), "login", "--with-api-key", "--server", gateway.Url, "-c", "cli_auth_credentials_store=keyring");

        Assert.Equal(1, login.ExitCode);
        Assert.Single(login.Stderr.Trim().Split('\n'));
        Assert.Contains("cli_auth_credentials_store = \"file\"", login.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    [Fact]
    public async Task Keyring_WithoutSecretService_RefusesBrowserOrDeviceSignInBeforeItStarts()
    {
        // Nothing listens on port 9: reaching the server would be a different error. The keyring is checked first, so
        // nobody approves a sign-in that then has nowhere to be kept.
        var login = await CliProcess.RunAsync(home, NoSecretService, null, "login", "--device-auth", "--server", "http://127.0.0.1:9", "-c", "cli_auth_credentials_store=keyring");

        Assert.Equal(1, login.ExitCode);
        Assert.Single(login.Stderr.Trim().Split('\n'));
        Assert.Contains("OS keyring is not usable", login.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1:9", login.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyring_LockedOrNoDefaultCollection_FailsFastInsteadOfPrompting()
    {
        // A separate session whose gnome-keyring has no unlocked login keyring: libsecret would otherwise wait on a prompt.
        var data = Directory.CreateTempSubdirectory("latchkey-locked-").FullName;
        var script = $"gnome-keyring-daemon --start --components=secrets >/dev/null; printf %s '{TokenFormat.Generate("sk-lk-")}' | dotnet '{RepositoryPaths.CliDll}' login --with-api-key --server {gateway.Url} -c cli_auth_credentials_store=keyring";
        var start = new System.Diagnostics.ProcessStartInfo("dbus-run-session") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--", "bash", "-c", script })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["XDG_DATA_HOME"] = data;
        start.Environment["LATCHKEY_HOME"] = home;
        start.Environment.Remove("DBUS_SESSION_BUS_ADDRESS");
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var errors = string.Join('\n', (await stderr).Split('\n').Where(l => !l.Contains("dbus-daemon", StringComparison.Ordinal) && l.Trim().Length > 0));
        Directory.Delete(data, recursive: true);

        Assert.Equal(1, process.ExitCode);
        Assert.Matches("locked|no default keyring", errors);
        Assert.Contains("cli_auth_credentials_store = \"file\"", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "auth.json")));
    }

    public void Dispose()
    {
        gateway.Dispose();
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
