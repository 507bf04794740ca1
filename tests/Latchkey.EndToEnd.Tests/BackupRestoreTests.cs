using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// `backup &lt;file&gt;` against a live server under load, then a second server started on the copy: the grant taken
/// before the backup refreshes there and the owner signs in with password and TOTP.
/// </summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task Backup_UnderConcurrentGrants_RestoresToAServerWhereSignInAndRefreshWork()
    {
        // The load below refreshes as fast as the server answers: the token endpoint's per-minute limit (abuse guard,
        // not what this test is about) would refuse it on a fast machine.
        await using var live = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Latchkey__RateLimits__TokenEndpointPerMinute"] = "100000" });
        using var owner = await HttpUser.CreateOwnerAsync(live);
        using var http = new HttpClient();
        var kept = await DeviceGrantAsync(http, live, owner);
        var chains = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            chains.Add(await DeviceGrantAsync(http, live, owner));
        }

        // Load: each chain rotates its refresh token as fast as it can while the backup runs.
        using var stop = new CancellationTokenSource();
        var grantsDuringBackup = 0;
        var load = chains.Select(first => Task.Run(async () =>
        {
            var token = first;
            while (!stop.IsCancellationRequested)
            {
                token = (string)(await RefreshAsync(http, live, token))["refresh_token"]!;
                Interlocked.Increment(ref grantsDuringBackup);
            }
        })).ToList();
        // Under load the first refreshes can take a while: start the backup once the load is really running.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref grantsDuringBackup) == 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var backupFile = Path.Combine(Directory.CreateTempSubdirectory("latchkey-backup-").FullName, "latchkey-backup.db");
        var before = Volatile.Read(ref grantsDuringBackup);
        var backup = await RunServerCommandAsync("backup", backupFile, "--data-dir", live.DataDirectory);
        var during = Volatile.Read(ref grantsDuringBackup) - before;
        await stop.CancelAsync();
        await Task.WhenAll(load); // every refresh under load succeeded: the backup blocked no writer into failure

        Assert.True(backup.ExitCode == 0, backup.Output);
        Assert.Contains("Backed up the database", backup.Output, StringComparison.Ordinal);
        Assert.True(before > 0 && during > 0, $"load ran: {before} grants before the backup, {during} while it ran");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backupFile));
        }

        var again = await RunServerCommandAsync("backup", backupFile, "--data-dir", live.DataDirectory);
        Assert.NotEqual(0, again.ExitCode); // never overwrites
        Assert.Contains("already exists", again.Output, StringComparison.Ordinal);

        // Restore: the backup as latchkey.db, beside everything else the data directory holds (the key file).
        var restoredDir = Directory.CreateTempSubdirectory("latchkey-restored-").FullName;
        foreach (var file in Directory.EnumerateFiles(live.DataDirectory).Where(f => !Path.GetFileName(f).StartsWith("latchkey.db", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(restoredDir, Path.GetFileName(file)));
        }

        File.Copy(backupFile, Path.Combine(restoredDir, "latchkey.db"));
        await using var restored = await ServerProcess.StartAsync(restoredDir);

        var refreshed = await RefreshAsync(http, restored, kept);
        Assert.NotNull((string?)refreshed["access_token"]);
        using var restoredOwner = owner.At(restored);
        await restoredOwner.SignInAsync();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(live.Issuer + "/.well-known/jwks.json")))!;
        var restoredJwks = JsonNode.Parse(await http.GetStringAsync(new Uri(restored.Issuer + "/.well-known/jwks.json")))!;
        Assert.Equal(jwks.ToJsonString(), restoredJwks.ToJsonString()); // the same signing keys came back
    }

    [Fact]
    public async Task Backup_WithoutAFileOrWithoutADatabase_FailsWithAMessage()
    {
        var empty = Directory.CreateTempSubdirectory("latchkey-nodb-").FullName;
        var noFile = await RunServerCommandAsync("backup", "--data-dir", empty);
        var noDb = await RunServerCommandAsync("backup", Path.Combine(empty, "copy.db"), "--data-dir", empty);

        Assert.Equal(2, noFile.ExitCode);
        Assert.Contains("Usage: Latchkey.Server backup <file>", noFile.Output, StringComparison.Ordinal);
        Assert.Equal(1, noDb.ExitCode);
        Assert.Contains("There is no database", noDb.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(empty, "copy.db")));
    }

    private static async Task<string> DeviceGrantAsync(HttpClient http, ServerProcess server, HttpUser user)
    {
        var started = await PostAsync(http, server, "/oauth/device_authorization", new() { ["client_id"] = "latchkey-cli", ["scope"] = "openid offline_access" });
        await user.ApproveDeviceAsync((string)started["user_code"]!);
        var tokens = await PostAsync(http, server, "/oauth/token", new()
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = (string)started["device_code"]!,
            ["client_id"] = "latchkey-cli",
        });
        return (string)tokens["refresh_token"]!;
    }

    private static Task<JsonNode> RefreshAsync(HttpClient http, ServerProcess server, string refreshToken)
        => PostAsync(http, server, "/oauth/token", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = "latchkey-cli" });

    private static async Task<JsonNode> PostAsync(HttpClient http, ServerProcess server, string path, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        var response = await http.PostAsync(new Uri(server.Issuer + path), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<(int ExitCode, string Output)> RunServerCommandAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryPaths.ServerDll);
        foreach (var a in args.Append("--port").Append("5998"))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
