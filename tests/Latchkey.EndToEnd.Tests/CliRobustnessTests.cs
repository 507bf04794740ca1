using System.Text.Json;
using Latchkey.Protocol.Tokens;
using Microsoft.Data.Sqlite;

namespace Latchkey.EndToEnd.Tests;

/// <summary>Many CLI processes at once, and CLI processes killed mid-write.</summary>
public sealed class CliRobustnessTests : IDisposable
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-robust-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task EightProcessesOnAnExpiringLogin_ServerSeesExactlyOneRefresh_AllSucceed()
    {
        await using var server = await ServerProcess.StartAsync();
        using var user = await HttpUser.CreateOwnerAsync(server);
        using (var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer))
        {
            var code = await login.WaitForLineAsync(CliOutput.IsUserCodeLine);
            await user.ApproveDeviceAsync(code.Trim());
            Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        Assert.Equal(1, CountRefreshTokens(server));

        // Age the stored login: its access token now expires in one minute, inside the 5-minute margin, so every
        // process wants to refresh. (The client reads `exp` without verifying the signature; the server never sees
        // this token: refresh sends only the refresh token.) Fresh tokens from the server live an hour.
        ExpireStoredAccessToken(TimeSpan.FromMinutes(1));
        var runs = Enumerable.Range(0, 8).Select(_ => CliProcess.Start(home, null, null, "token")).ToList();
        var codes = await Task.WhenAll(runs.Select(r => r.WaitAsync(TimeSpan.FromSeconds(90))));
        var tokens = runs.Select(r => r.Stdout.Trim()).ToList();
        var errors = string.Join("\n", runs.Select(r => r.Stderr));
        runs.ForEach(r => r.Dispose());

        Assert.All(codes, c => Assert.True(c == 0, errors));
        Assert.Equal(2, CountRefreshTokens(server)); // the login's token and exactly one rotation
        Assert.Single(tokens.Distinct()); // everyone got the one refreshed access token
        var stored = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home, "auth.json")));
        Assert.Equal(tokens[0], stored.RootElement.GetProperty("tokens").GetProperty("access_token").GetString());
    }

    [Fact]
    public async Task KilledWhileWritingCredentials_ManyTimes_FileIsAlwaysOldOrNew()
    {
        var keys = new[] { TokenFormat.Generate("sk-lk-"), TokenFormat.Generate("sk-lk-") };
        var path = Path.Combine(home, "auth.json");
        var random = new Random(20261121);
        var killed = 0;
        using var gateway = new Latchkey.Cli.Tests.FakeWhoAmIServer(200, "{\"object\":\"list\",\"data\":[]}");
        for (var i = 0; i < 40; i++)
        {
            var key = keys[i % 2];
            using var cli = CliProcess.Start(home, null, key, "login", "--with-api-key", "--server", gateway.Url);
            await Task.Delay(random.Next(0, 250));
            try
            {
                cli.Kill(); // SIGKILL: no finally blocks, no flush
                killed++;
            }
            catch (InvalidOperationException)
            {
                // already finished
            }

            await cli.WaitAsync(TimeSpan.FromSeconds(30));
            if (File.Exists(path))
            {
                var stored = JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.GetProperty("OPENAI_API_KEY").GetString();
                Assert.Contains(stored, keys);
            }
        }

        // After all that, the next writer still gets the lock and writes cleanly, and no temp files are left in view.
        var final = await CliProcess.RunAsync(home, null, keys[0], "login", "--with-api-key", "--server", gateway.Url);
        Assert.Equal(0, final.ExitCode);
        Assert.Equal(keys[0], JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.GetProperty("OPENAI_API_KEY").GetString());
        Assert.True(killed >= 5, $"only {killed} runs were killed before finishing: the test did not exercise crashes");
    }

    private void ExpireStoredAccessToken(TimeSpan left)
    {
        var path = Path.Combine(home, "auth.json");
        var auth = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var parts = ((string)auth["tokens"]!["access_token"]!).Split('.');
        var payload = System.Text.Json.Nodes.JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!;
        payload["exp"] = DateTimeOffset.UtcNow.Add(left).ToUnixTimeSeconds();
        parts[1] = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()));
        auth["tokens"]!["access_token"] = string.Join('.', parts);
        File.WriteAllText(path, auth.ToJsonString());
    }

    private static long CountRefreshTokens(ServerProcess server)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "latchkey.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM refresh_tokens";
        return (long)cmd.ExecuteScalar()!;
    }

    public void Dispose()
    {
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
