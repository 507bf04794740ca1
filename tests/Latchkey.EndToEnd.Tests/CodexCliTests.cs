using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Fakes;
using Microsoft.Data.Sqlite;
using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// The real Codex CLI (npm @openai/codex 0.169.0) against a real Latchkey server process, its model traffic going
/// through the Latchkey gateway to a small upstream that streams a Responses reply.
/// </summary>
public sealed partial class CodexCliTests : IAsyncLifetime
{
    private const string LocalAccessDenied = "403 - Unauthorized. Contact your workspace administrator for access.";
    private readonly string codexHome = Directory.CreateTempSubdirectory("latchkey-codex-home-").FullName;
    private readonly OutsideConnectionTrap trap = new();
    private FakeResponsesUpstream upstream = null!;
    private ServerProcess server = null!;
    private HttpUser owner = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(CliProcess.CodexPath))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "codex is missing; scripts/install-test-deps.sh installs it.");
            Assert.Skip("Run scripts/install-test-deps.sh (npm @openai/codex) to run the Codex tests.");
        }

        upstream = await FakeResponsesUpstream.StartAsync();
        server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Gateway__UpstreamBaseUrl"] = upstream.BaseUrl,
            ["Latchkey__Gateway__UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
            // Just over Codex's 5-minute proactive-refresh window: a login is refreshed within seconds, and the
            // refreshed token is not yet inside the window again (a lifetime under 5 minutes makes Codex refresh in a loop).
            ["Latchkey__Lifetimes__AccessToken"] = "00:05:15",
            ["Latchkey__RateLimits__SignInPerMinute"] = "1000",
            ["Latchkey__RateLimits__TokenEndpointPerMinute"] = "100000",
        });
        owner = await HttpUser.CreateOwnerAsync(server);
        CodexHome.WriteOffSwitches(codexHome);
    }

    public async ValueTask DisposeAsync()
    {
        owner?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        if (upstream is not null)
        {
            await upstream.DisposeAsync();
        }

        await trap.DisposeAsync();
        Directory.Delete(codexHome, recursive: true);
    }

    /// <summary>
    /// Codex pointed at Latchkey (chatgpt_base_url, the issuer, the gateway) with the README's off switches reaches
    /// no outside host at all.
    /// </summary>
    private void AssertNoOutsideConnections() => trap.AssertNoAttempts();

    private string[] Exec(params string[] extra) =>
    [
        "exec", "--skip-git-repo-check", "--sandbox", "read-only",
        "-c", $"model_providers.lk={{name=\"lk\",base_url=\"{server.Issuer}/v1\",wire_api=\"responses\",requires_openai_auth=true}}",
        "-c", "model_provider=\"lk\"", "-c", $"chatgpt_base_url=\"{server.Issuer}/backend-api\"", "-m", "lk-test-model", .. extra, "Say hello.",
    ];

    private long Scalar(string sql) => ScalarAt(server, sql);

    private static long ScalarAt(ServerProcess at, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(at.DataDirectory, "latchkey.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Usage events (gateway requests, access-token uses) are written off the request path, a moment later.</summary>
    private async Task<long> UsageCountAsync(string sql)
    {
        for (var waited = 0; ; waited += 50)
        {
            var count = Scalar(sql);
            if (count > 0 || waited >= 5000)
            {
                return count;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Device_login_approved_in_Chromium_then_exec_through_the_gateway_refreshes_and_logout_revokes()
    {
        using var login = CliProcess.StartCodex(codexHome, trap, null, null, "login", "--device-auth", "--experimental_issuer", server.Issuer, "--experimental_client-id", "codex-cli");
        var codeLine = await login.WaitForLineAsync(l => UserCode().IsMatch(Plain(l)));
        var userCode = UserCode().Match(Plain(codeLine)).Value;
        Assert.Contains(server.Issuer + "/codex/device", login.Stdout + login.Stderr, StringComparison.Ordinal);

        using (var browser = new HeadlessChromium())
        {
            browser.Open(server.Issuer + "/codex/device");
            browser.EnterPasswordAndCode(owner);
            browser.Fill("user_code", userCode);
            browser.Submit("user_code");
            Assert.Equal("Codex CLI", browser.Wait(By.Id("client-name")).Text);
            browser.Screenshot("codex-device-confirm");
            browser.Click(By.Id("approve"));
            browser.WaitForText("Device approved");
        }

        Assert.True(await login.WaitAsync(TimeSpan.FromSeconds(60)) == 0, login.Stdout + login.Stderr);
        var status = await CliProcess.RunCodexAsync(codexHome, trap, null, null, "login", "status");
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains("Logged in using ChatGPT", status.Stdout + status.Stderr, StringComparison.Ordinal);

        var auth = JsonNode.Parse(File.ReadAllText(Path.Combine(codexHome, "auth.json")))!;
        var firstRefresh = auth["tokens"]!["refresh_token"]!.GetValue<string>();
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM refresh_tokens"));

        // A run through the gateway once the stored access token has under 5 minutes left: Codex refreshes first.
        var exp = DateTimeOffset.FromUnixTimeSeconds(JwtExp(auth["tokens"]!["access_token"]!.GetValue<string>()));
        var wait = exp - TimeSpan.FromMinutes(5) - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var run = await CliProcess.RunCodexAsync(codexHome, trap, null, null, Exec());
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains(FakeResponsesUpstream.ReplyText, run.Stdout, StringComparison.Ordinal);
        Assert.True(Scalar("SELECT COUNT(*) FROM refresh_tokens") >= 2, "the server saw no refresh");
        Assert.True(await UsageCountAsync("SELECT COUNT(*) FROM audit_events WHERE event_type = 'gateway.request' AND detail LIKE '%\"status\":200%'") >= 1);
        var forwarded = upstream.Requests.Last(r => r.Path == "/v1/responses");
        Assert.Equal("Bearer " + FakeResponsesUpstream.ApiKey, forwarded.Authorization);

        // Logout revokes at Latchkey: the refresh token and the access token in auth.json are refused afterwards.
        auth = JsonNode.Parse(File.ReadAllText(Path.Combine(codexHome, "auth.json")))!;
        var refresh = auth["tokens"]!["refresh_token"]!.GetValue<string>();
        var access = auth["tokens"]!["access_token"]!.GetValue<string>();
        Assert.NotEqual(firstRefresh, refresh);
        var logout = await CliProcess.RunCodexAsync(codexHome, trap, new Dictionary<string, string> { ["CODEX_REVOKE_TOKEN_URL_OVERRIDE"] = server.Issuer + "/oauth/revoke" }, null, "logout");
        Assert.True(logout.ExitCode == 0, logout.Stdout + logout.Stderr);
        using var http = new HttpClient { BaseAddress = new Uri(server.Issuer) };
        using var refreshForm = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["client_id"] = "codex-cli" });
        var afterLogout = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), refreshForm);
        Assert.True(afterLogout.StatusCode == System.Net.HttpStatusCode.BadRequest, logout.Stdout + logout.Stderr + string.Join("\n", server.Output.Split('\n').Where(l => l.Contains("revoke", StringComparison.OrdinalIgnoreCase))));
        using var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        userinfo.Headers.Authorization = new("Bearer", access);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.SendAsync(userinfo)).StatusCode);
        AssertNoOutsideConnections();
    }

    [Fact]
    public async Task An_access_token_login_runs_through_the_gateway_until_revoked_and_local_access_off_refuses_members()
    {
        var workspace = await owner.WorkspaceIdAsync();
        await owner.SetPoliciesAsync(workspace, "local_access_enabled", "device_sign_in_enabled", "member_access_tokens_enabled");
        using var member = await HttpUser.JoinByInvitationAsync(server, await owner.InviteAsync(workspace, "member"));
        var (tokenId, secret) = await member.CreateAccessTokenAsync(workspace, "codex runner");
        var env = new Dictionary<string, string> { ["CODEX_AUTHAPI_BASE_URL"] = server.Issuer + "/api/accounts" };

        var login = await CliProcess.RunCodexAsync(codexHome, trap, env, secret, "login", "--with-access-token");
        Assert.True(login.ExitCode == 0, login.Stdout + login.Stderr);
        var run = await CliProcess.RunCodexAsync(codexHome, trap, env, null, Exec());
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains(FakeResponsesUpstream.ReplyText, run.Stdout, StringComparison.Ordinal);
        Assert.True(await UsageCountAsync("SELECT COUNT(*) FROM audit_events WHERE event_type = 'access_token.used'") >= 1, "no run-start check was recorded");
        Assert.True(await UsageCountAsync("SELECT COUNT(*) FROM audit_events WHERE event_type = 'gateway.request' AND client_id = 'access_token'") >= 1);

        // Local access switched off: the run-start check refuses the token, and the person reads the workspace's
        // message in codex's own output (whoami lets the run keep the token; the gateway's refusal is what codex prints).
        await owner.SetPoliciesAsync(workspace, "device_sign_in_enabled", "member_access_tokens_enabled");
        var refused = await CliProcess.RunCodexAsync(codexHome, trap, env, null, Exec());
        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain(FakeResponsesUpstream.ReplyText, refused.Stdout, StringComparison.Ordinal);
        Assert.True(Plain(refused.Stdout + refused.Stderr).Contains(LocalAccessDenied, StringComparison.Ordinal), refused.Stdout + refused.Stderr);
        Assert.True(Scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'access_token.refused' AND detail LIKE '%local_access_disabled%'") >= 1);

        // Back on, then the token is revoked in Latchkey: the next run is refused.
        await owner.SetPoliciesAsync(workspace, "local_access_enabled", "device_sign_in_enabled", "member_access_tokens_enabled");
        Assert.Equal(0, (await CliProcess.RunCodexAsync(codexHome, trap, env, null, Exec())).ExitCode);
        await member.RevokeAccessTokenAsync(workspace, tokenId);
        var revoked = await CliProcess.RunCodexAsync(codexHome, trap, env, null, Exec());
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.DoesNotContain(FakeResponsesUpstream.ReplyText, revoked.Stdout, StringComparison.Ordinal);
        Assert.True(RevokedOn().IsMatch(Plain(revoked.Stdout + revoked.Stderr)), revoked.Stdout + revoked.Stderr);

        // Logging in again with the revoked token fails: nothing refused is saved.
        var again = await CliProcess.RunCodexAsync(Directory.CreateTempSubdirectory("latchkey-codex-relogin-").FullName, trap, env, secret, "login", "--with-access-token");
        Assert.NotEqual(0, again.ExitCode);
        AssertNoOutsideConnections();
    }

    [Fact]
    public async Task A_member_signed_in_with_codex_is_refused_with_the_403_message_when_local_access_is_switched_off()
    {
        var workspace = await owner.WorkspaceIdAsync();
        using var member = await HttpUser.JoinByInvitationAsync(server, await owner.InviteAsync(workspace, "member"));
        using var login = CliProcess.StartCodex(codexHome, trap, null, null, "login", "--device-auth", "--experimental_issuer", server.Issuer, "--experimental_client-id", "codex-cli");
        var userCode = UserCode().Match(Plain(await login.WaitForLineAsync(l => UserCode().IsMatch(Plain(l))))).Value;
        await member.ApproveDeviceAsync(userCode, workspace);
        Assert.True(await login.WaitAsync(TimeSpan.FromSeconds(60)) == 0, login.Stdout + login.Stderr);
        Assert.Equal(0, (await CliProcess.RunCodexAsync(codexHome, trap, null, null, Exec())).ExitCode);

        await owner.SetPoliciesAsync(workspace, "device_sign_in_enabled");
        var refused = await CliProcess.RunCodexAsync(codexHome, trap, null, null, Exec());
        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(Plain(refused.Stdout + refused.Stderr).Contains(LocalAccessDenied, StringComparison.Ordinal), refused.Stdout + refused.Stderr);
        AssertNoOutsideConnections();
    }

    /// <summary>
    /// Issue 12: codex pinned to another workspace (`forced_chatgpt_workspace_id`) checks the id_token only after the
    /// exchange and drops the tokens without telling the server. The sign-in nobody holds stays unclaimed and is
    /// revoked when Latchkey:Lifetimes:UnclaimedSignIn passes (seconds here, a week by default).
    /// </summary>
    [Fact]
    public async Task A_login_codex_refuses_for_its_pinned_workspace_is_left_unclaimed_and_then_revoked()
    {
        await using var quick = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Lifetimes__UnclaimedSignIn"] = "00:00:15",
            ["Latchkey__CleanupInterval"] = "00:00:01",
        });
        using var person = await HttpUser.CreateOwnerAsync(quick);
        using var login = CliProcess.StartCodex(codexHome, trap, null, null, "-c", "forced_chatgpt_workspace_id=\"ws_pinned_elsewhere\"",
            "login", "--device-auth", "--experimental_issuer", quick.Issuer, "--experimental_client-id", "codex-cli");
        var userCode = UserCode().Match(Plain(await login.WaitForLineAsync(l => UserCode().IsMatch(Plain(l))))).Value;
        await person.ApproveDeviceAsync(userCode);

        Assert.NotEqual(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(File.Exists(Path.Combine(codexHome, "auth.json")), "codex kept tokens for a workspace it is not pinned to");
        long Unclaimed() => ScalarAt(quick, "SELECT COUNT(*) FROM grants WHERE client_id = 'codex-cli' AND first_used_at IS NULL AND revoked_at IS NULL");
        Assert.Equal(1, Unclaimed());

        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        while (ScalarAt(quick, "SELECT COUNT(*) FROM grants WHERE client_id = 'codex-cli' AND revoked_reason = 'unclaimed'") == 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        Assert.Equal(1, ScalarAt(quick, "SELECT COUNT(*) FROM grants WHERE client_id = 'codex-cli' AND revoked_reason = 'unclaimed'"));
        Assert.Equal(0, Unclaimed());
        AssertNoOutsideConnections();
    }

    [Fact]
    public async Task Codex_sees_a_latchkey_login_in_a_shared_home()
    {
        using var login = CliProcess.Start(codexHome, null, null, "login", "--device-auth", "--server", server.Issuer);
        var code = (await login.WaitForLineAsync(CliOutput.IsUserCodeLine)).Trim();
        await owner.ApproveDeviceAsync(code);
        Assert.True(await login.WaitAsync(TimeSpan.FromSeconds(60)) == 0, login.Stdout + login.Stderr);

        var status = await CliProcess.RunCodexAsync(codexHome, trap, null, null, "login", "status");
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains("Logged in using ChatGPT", status.Stdout + status.Stderr, StringComparison.Ordinal);
        AssertNoOutsideConnections();
    }

    [Fact]
    public async Task Latchkey_codex_setup_then_device_login_and_exec_go_through_the_gateway_and_nowhere_else()
    {
        using var cliHome = new TempDirectory();
        // Setup alone writes the off switches: start from a codex home without a config.toml.
        File.Delete(Path.Combine(codexHome, "config.toml"));
        var setup = await CliProcess.RunAsync(cliHome.Path, null, null, "codex", "setup", "--server", server.Issuer, "--codex-home", codexHome);
        Assert.True(setup.ExitCode == 0, setup.Stdout + setup.Stderr);
        Assert.Contains("CODEX_REVOKE_TOKEN_URL_OVERRIDE=" + server.Issuer + "/oauth/revoke", setup.Stdout, StringComparison.Ordinal);

        using var login = CliProcess.StartCodex(codexHome, trap, null, null, "login", "--device-auth", "--experimental_issuer", server.Issuer, "--experimental_client-id", "codex-cli");
        await owner.ApproveDeviceAsync(UserCode().Match(Plain(await login.WaitForLineAsync(l => UserCode().IsMatch(Plain(l))))).Value);
        Assert.True(await login.WaitAsync(TimeSpan.FromSeconds(60)) == 0, login.Stdout + login.Stderr);

        // No -c overrides: everything comes from the config.toml that setup wrote.
        var run = await CliProcess.RunCodexAsync(codexHome, trap, null, null, "exec", "--skip-git-repo-check", "--sandbox", "read-only", "-m", "lk-test-model", "Say hello.");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains(FakeResponsesUpstream.ReplyText, run.Stdout, StringComparison.Ordinal);
        AssertNoOutsideConnections();
    }

    [Fact]
    public async Task The_readme_config_blocks_load_in_codex()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"));
        var blocks = TomlBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 2, "the README has lost its config.toml examples");
        foreach (var block in blocks)
        {
            using var home = new TempDirectory();
            await File.WriteAllTextAsync(Path.Combine(home.Path, "config.toml"), block);

            var status = await CliProcess.RunCodexAsync(home.Path, trap, null, null, "login", "status");

            // Not signed in (exit 1, "Not logged in") is the expected answer; a config error stops codex before that.
            Assert.True(status.Stdout.Contains("Not logged in", StringComparison.Ordinal) || status.Stderr.Contains("Not logged in", StringComparison.Ordinal),
                block + "\n---\n" + status.Stdout + status.Stderr);
        }
    }

    private static long JwtExp(string jwt)
    {
        Assert.True(Latchkey.Protocol.Jwt.JwtCodec.TryDecodeUnverified(jwt, out _, out var claims));
        return claims["exp"]!.GetValue<long>();
    }

    /// <summary>Codex colours its output whatever NO_COLOR says; tests read the text.</summary>
    private static string Plain(string line) => Ansi().Replace(line, string.Empty);

    [GeneratedRegex(@"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")]
    private static partial Regex UserCode();

    [GeneratedRegex(@"This access token was revoked on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")]
    private static partial Regex RevokedOn();

    [GeneratedRegex(@"```toml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TomlBlock();

    [GeneratedRegex(@"\x1B\[[0-9;]*m")]
    private static partial Regex Ansi();
}
