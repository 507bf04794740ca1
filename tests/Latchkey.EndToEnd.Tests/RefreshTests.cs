using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Tests.Fakes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Refresh with real clients (issue 11; docs/server-security.md "Refresh rotation"): honest retries and concurrent
/// processes on one machine never lose the sign-in, a copy used elsewhere is caught and the grant revoked
/// (RFC 9700 §4.14.2), and an approved device code makes exactly one grant (RFC 8628 §3.5).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RefreshTests(RefreshFixture fx) : IClassFixture<RefreshFixture>, IDisposable
{
    private const string Cli = "latchkey-cli";
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-refresh-" + Guid.NewGuid().ToString("N"));

    // Codex is always started behind the trap, so a run never reaches past loopback.
    private readonly OutsideConnectionTrap trap = new();

    private ServerProcess Server => fx.Server;

    private async Task<string> SignedInHomeAsync(string clientId = Cli, string? issuer = null)
    {
        var tokens = await RefreshFixture.SignInAsync(Server, fx.Owner, fx.WorkspaceId, clientId);
        RefreshFixture.WriteExpiredLogin(home, tokens, issuer ?? Server.Issuer, clientId, fx.WorkspaceId);
        return (string)tokens["refresh_token"]!;
    }

    private static string GrantOf(string refreshToken)
        => $"(SELECT grant_id FROM refresh_tokens WHERE token_hash = '{SecretDigest.Compute(refreshToken)}')";

    private long Rotations(string firstRefreshToken) => RefreshFixture.Scalar(Server, $"SELECT COUNT(*) - 1 FROM refresh_tokens WHERE grant_id = {GrantOf(firstRefreshToken)}");

    private bool Revoked(string refreshToken, string reason = "refresh_token_reused")
        => RefreshFixture.Scalar(Server, $"SELECT COUNT(*) FROM grants WHERE id = {GrantOf(refreshToken)} AND revoked_reason = '{reason}'") == 1;

    private Task<(int ExitCode, string Stdout, string Stderr)> TokenAsync() => CliProcess.RunAsync(home, null, null, "token");

    [Fact]
    public async Task ThirtyTwoTokenProcessesAtOnce_OneRotation_AllSucceed()
    {
        var r0 = await SignedInHomeAsync();

        var runs = Enumerable.Range(0, 32).Select(_ => CliProcess.Start(home, null, null, "token")).ToList();
        // 32 .NET start-ups on a shared 2-core machine take minutes of wall time; the point is the outcome, not speed.
        var codes = await Task.WhenAll(runs.Select(r => r.WaitAsync(TimeSpan.FromMinutes(5))));
        var errors = string.Join("\n", runs.Select(r => r.Stderr));
        var printed = runs.Select(r => r.Stdout.Trim()).Distinct().ToList();
        runs.ForEach(r => r.Dispose());

        Assert.All(codes, c => Assert.True(c == 0, errors));
        Assert.Equal(1, Rotations(r0));
        Assert.Single(printed);
        Assert.False(Revoked(r0));
    }

    [Fact]
    public async Task TwoCodexProcessesRefreshingAtOnce_ThenAThirdRunAfterTheWindow_StillSignedIn()
    {
        Skip.IfCodexMissing();
        var r0 = await SignedInHomeAsync("codex-cli");

        var both = new[] { CliProcess.StartCodex(home, trap, null, null, Exec()), CliProcess.StartCodex(home, trap, null, null, Exec()) };
        var codes = await Task.WhenAll(both.Select(p => p.WaitAsync(TimeSpan.FromSeconds(90))));
        var output = string.Join("\n", both.Select(p => p.Stdout + p.Stderr));
        foreach (var p in both)
        {
            p.Dispose();
        }

        Assert.All(codes, c => Assert.True(c == 0, output));
        Assert.Equal(1, Rotations(r0)); // the second process got the same successor back: one rotation
        await Task.Delay(RefreshFixture.AfterWindow);
        RefreshFixture.ExpireStoredAccessToken(home);

        var third = await CliProcess.RunCodexAsync(home, trap, null, null, Exec());

        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Contains(FakeResponsesUpstream.ReplyText, third.Stdout, StringComparison.Ordinal);
        Assert.False(Revoked(r0));
        Assert.Equal(2, Rotations(r0));
    }

    [Fact]
    public async Task AnswerLostTwice_ClientRetriesWithTheSameToken_StillSignedIn()
    {
        await using var proxy = new FaultyProxy(Server.Port);
        var r0 = await SignedInHomeAsync(issuer: proxy.Url);
        proxy.DropNextAnswers(2);

        var run = await TokenAsync();

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(3, proxy.Connections);
        Assert.Equal(1, Rotations(r0));
        Assert.NotEqual(r0, RefreshFixture.StoredRefreshToken(home));
        RefreshFixture.ExpireStoredAccessToken(home);
        Assert.Equal(0, (await TokenAsync()).ExitCode);
        Assert.False(Revoked(r0));
    }

    [Fact]
    public async Task CtrlCWhileTheAnswerIsOnItsWay_TokensSaved_RunAfterTheWindowStillSignedIn()
    {
        await using var proxy = new FaultyProxy(Server.Port);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.OnAnswer = async () =>
        {
            answered.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(2)); // the link stalls; the user presses Ctrl+C meanwhile
        };
        var r0 = await SignedInHomeAsync(issuer: proxy.Url);

        using (var run = CliProcess.Start(home, null, null, "token"))
        {
            await answered.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using (var kill = Process.Start("kill", ["-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await run.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.NotEqual(r0, RefreshFixture.StoredRefreshToken(home)); // the answer was saved
        await Task.Delay(RefreshFixture.AfterWindow);
        RefreshFixture.ExpireStoredAccessToken(home);

        var later = await TokenAsync();

        Assert.True(later.ExitCode == 0, later.Stderr);
        Assert.False(Revoked(r0));
    }

    [Fact]
    public async Task ThiefAlternatingWithTheClientInsideTheWindow_Detected_GrantRevoked()
    {
        var r0 = await SignedInHomeAsync();
        using var thief = RefreshFixture.ClientFrom("127.0.0.1", Server.Issuer); // same machine, same address
        Assert.Equal(0, (await TokenAsync()).ExitCode); // r0 -> r1

        var first = await RefreshFixture.RefreshAsync(thief, r0, Cli); // inside the window, r1 unused: same successor
        RefreshFixture.ExpireStoredAccessToken(home);
        Assert.Equal(0, (await TokenAsync()).ExitCode); // r1 -> r2: the chain moved on
        var second = await RefreshFixture.RefreshAsync(thief, r0, Cli);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Equal("refresh_token_reused", (string?)second.Body["code"]);
        Assert.True(Revoked(r0));
        RefreshFixture.ExpireStoredAccessToken(home);
        Assert.NotEqual(0, (await TokenAsync()).ExitCode);
    }

    [Fact]
    public async Task CopyPolledFromAnotherAddress_Detected_GrantRevoked()
    {
        var r0 = await SignedInHomeAsync();
        using var thief = RefreshFixture.ClientFrom("127.0.0.2", Server.Issuer); // another machine
        var copy = r0;
        var polls = new List<HttpStatusCode>();

        // The thief polls with its copy every couple of seconds, racing the client.
        (HttpStatusCode Status, JsonObject Body) poll = await RefreshFixture.RefreshAsync(thief, copy, Cli);
        polls.Add(poll.Status);
        var client = await TokenAsync(); // presents r0, which the thief rotated from another address: reuse
        await Task.Delay(TimeSpan.FromSeconds(2));
        poll = await RefreshFixture.RefreshAsync(thief, poll.Status == HttpStatusCode.OK ? (string)poll.Body["refresh_token"]! : copy, Cli);
        polls.Add(poll.Status);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest], polls);
        Assert.NotEqual(0, client.ExitCode);
        Assert.True(Revoked(r0));
        Assert.True(RefreshFixture.Scalar(Server, "SELECT COUNT(*) FROM audit_events WHERE event_type = 'refresh_token.reuse_detected' AND ip_address = '127.0.0.1'") >= 1);
    }

    [Fact]
    public async Task ConcurrentDevicePolls_ExactlyOneGrant()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.Issuer) };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = Cli, ["scope"] = "openid offline_access" });
        var start = JsonNode.Parse(await (await http.PostAsync(new Uri("/oauth/device_authorization", UriKind.Relative), form)).Content.ReadAsStringAsync())!;
        await fx.Owner.ApproveDeviceAsync((string)start["user_code"]!, fx.WorkspaceId);
        var before = RefreshFixture.Scalar(Server, "SELECT COUNT(*) FROM grants");

        var polls = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var poll = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
                ["device_code"] = (string)start["device_code"]!,
                ["client_id"] = Cli,
            });
            using var response = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), poll);
            return response.StatusCode;
        }));

        Assert.Single(polls, s => s == HttpStatusCode.OK);
        Assert.Equal(before + 1, RefreshFixture.Scalar(Server, "SELECT COUNT(*) FROM grants"));
    }

    [Fact]
    public async Task ServerKilledMidRefreshAndRestarted_ClientRetries_StillSignedIn()
    {
        // Its own server with the default 60 s window: a restart takes seconds, and the retry must land inside it.
        var data = Directory.CreateTempSubdirectory("latchkey-e2e-restart-").FullName;
        var settings = RefreshFixture.Settings("00:01:00", fx.Upstream.BaseUrl);
        var first = await ServerProcess.StartAsync(data, settings);
        using var owner = await HttpUser.CreateOwnerAsync(first);
        var workspace = await owner.WorkspaceIdAsync();
        await using var proxy = new FaultyProxy(first.Port);
        var tokens = await RefreshFixture.SignInAsync(first, owner, workspace, Cli);
        RefreshFixture.WriteExpiredLogin(home, tokens, proxy.Url, Cli, workspace);
        var killed = 0;
        proxy.OnAnswer = async () =>
        {
            if (Interlocked.Exchange(ref killed, 1) == 0)
            {
                await first.KillAsync(); // the rotation is committed; its answer dies with the server
            }
        };
        proxy.DropNextAnswers(1);

        using var run = CliProcess.Start(home, null, null, "token");
        while (Volatile.Read(ref killed) == 0)
        {
            await Task.Delay(50);
        }

        await using var second = await ServerProcess.StartAsync(data, settings);
        proxy.TargetPort = second.Port;
        var code = await run.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(code == 0, run.Stderr);
        var r0 = (string)tokens["refresh_token"]!;
        Assert.NotEqual(r0, RefreshFixture.StoredRefreshToken(home));
        Assert.Equal(0, RefreshFixture.Scalar(second, $"SELECT COUNT(*) FROM grants WHERE revoked_at IS NOT NULL AND id = {GrantOf(r0)}"));
        Assert.Equal(1, RefreshFixture.Scalar(second, $"SELECT COUNT(*) - 1 FROM refresh_tokens WHERE grant_id = {GrantOf(r0)}"));
    }

    private string[] Exec() =>
    [
        "exec", "--skip-git-repo-check", "--sandbox", "read-only",
        "-c", $"model_providers.lk={{name=\"lk\",base_url=\"{Server.Issuer}/v1\",wire_api=\"responses\",requires_openai_auth=true}}",
        "-c", "model_provider=\"lk\"", "-m", "lk-test-model", "Say hello.",
    ];

    public void Dispose()
    {
        trap.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
            // A process killed at the end of a failed test may still hold a file; the OS temp cleaner gets it.
        }
    }

    private static class Skip
    {
        public static void IfCodexMissing()
        {
            if (!File.Exists(CliProcess.CodexPath))
            {
                Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "codex is missing; scripts/install-test-deps.sh installs it.");
                Assert.Skip("Run scripts/install-test-deps.sh (npm @openai/codex) to run the Codex tests.");
            }
        }
    }
}
