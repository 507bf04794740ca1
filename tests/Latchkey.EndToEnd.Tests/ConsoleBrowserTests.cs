using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// The admin console in real headless Chromium against the real server process, with the real `latchkey` binary
/// using the access tokens it creates. One story, each step as its people would do it; screenshots of the main
/// pages are kept in artifacts/screenshots/.
/// </summary>
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private const string LocalAccessDenied = "403 - Unauthorized. Contact your workspace administrator for access.";
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-console-" + Guid.NewGuid().ToString("N"));
    private ServerProcess server = null!;
    private HttpUser owner = null!;

    public async ValueTask InitializeAsync()
    {
        // Three people sign in from one address within a minute: more than the default per-address sign-in limit.
        server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Latchkey__RateLimits__SignInPerMinute"] = "1000" });
        owner = await HttpUser.CreateOwnerAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        owner.Dispose();
        await server.DisposeAsync();
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static HeadlessChromium SignedIn(ServerProcess server, HttpUser user)
    {
        var browser = new HeadlessChromium();
        browser.SignInToAccount(server.Issuer, user);
        return browser;
    }

    private static string Invite(HeadlessChromium browser, string role)
    {
        browser.Wait(By.Id("invite-role")).FindElement(By.CssSelector($"option[value='{role}']")).Click();
        browser.Submit("email");
        return browser.Wait(By.Id("invite-url")).GetAttribute("value")!;
    }

    private string CreateToken(HeadlessChromium browser, string workspace, string name)
    {
        browser.Open($"{server.Issuer}/console/{workspace}/tokens");
        browser.Fill("name", name);
        browser.Click(By.Id("exp-30d"));
        browser.Click(By.Id("create"));
        return browser.Wait(By.Id("token-value")).GetAttribute("value")!;
    }

    [Fact]
    public async Task Owner_sets_policies_member_creates_a_token_admin_revokes_it_and_local_access_off_refuses()
    {
        // The owner opens the console and invites an admin and a member.
        using var ownerBrowser = SignedIn(server, owner);
        ownerBrowser.Click(By.Id("console-link"));
        var workspace = ownerBrowser.Wait(By.CssSelector("a[data-workspace]")).GetAttribute("data-workspace")!;
        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/members");
        var adminInvite = Invite(ownerBrowser, "admin");
        var memberInvite = Invite(ownerBrowser, "member");
        using var admin = await HttpUser.JoinByInvitationAsync(server, adminInvite);
        using var member = await HttpUser.JoinByInvitationAsync(server, memberInvite);
        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/members");
        ownerBrowser.WaitForText(member.Email);
        ownerBrowser.Screenshot("console-members");

        // Tokens are off for members: their home says so (and who to ask); the tokens page itself stays hidden.
        using var memberBrowser = SignedIn(server, member);
        memberBrowser.Open($"{server.Issuer}/console/{workspace}");
        memberBrowser.Wait(By.Id("tokens-off"));
        Assert.Contains(owner.Email, memberBrowser.Wait(By.Id("administrators")).Text, StringComparison.Ordinal);
        memberBrowser.Screenshot("console-member-home");
        memberBrowser.Open($"{server.Issuer}/console/{workspace}/tokens");
        memberBrowser.Wait(By.Id("not-found"));

        // The owner allows access tokens with a 30-day limit.
        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/policies");
        var allow = ownerBrowser.Wait(By.Id("member_access_tokens_enabled"));
        Assert.False(allow.Selected);
        allow.Click();
        ownerBrowser.Fill("access_token_max_days", "30");
        ownerBrowser.Click(By.Id("save-policies"));
        ownerBrowser.WaitForText("Policies saved.");
        Assert.True(ownerBrowser.Wait(By.Id("member_access_tokens_enabled")).Selected);
        Assert.Equal("30", ownerBrowser.Wait(By.Id("access_token_max_days")).GetAttribute("value"));
        ownerBrowser.Screenshot("console-policies");

        // The member creates a token and sees it exactly once; 60 and 90 days are not offered.
        memberBrowser.Open($"{server.Issuer}/console/{workspace}/tokens");
        Assert.Empty(memberBrowser.Driver.FindElements(By.Id("exp-60d")));
        var secret = CreateToken(memberBrowser, workspace, "nightly build");
        Assert.StartsWith("at-", secret, StringComparison.Ordinal);
        memberBrowser.Screenshot("console-token-created");
        memberBrowser.Open($"{server.Issuer}/console/{workspace}/tokens");
        memberBrowser.WaitForText("nightly build");
        Assert.DoesNotContain(secret, memberBrowser.Driver.PageSource, StringComparison.Ordinal);

        // The runner signs in with it through the real CLI; each run start is checked.
        var login = await CliProcess.RunAsync(home, null, secret, "login", "--with-access-token", "--server", server.Issuer);
        Assert.True(login.ExitCode == 0, login.Stdout + login.Stderr);
        Assert.Contains(member.Email, login.Stdout, StringComparison.Ordinal);
        var run = await CliProcess.RunAsync(home, null, null, "token");
        Assert.True(run.ExitCode == 0, run.Stderr);

        // An admin sees everyone's tokens with their creator and revokes the member's.
        using var adminBrowser = SignedIn(server, admin);
        adminBrowser.Open($"{server.Issuer}/console/{workspace}/tokens");
        adminBrowser.WaitForText(member.Email);
        adminBrowser.Screenshot("console-tokens-admin");
        adminBrowser.Click(By.CssSelector("button[data-revoke]"));
        // Nothing is revoked until the admin confirms.
        Assert.Contains("nightly build", adminBrowser.Wait(By.Id("confirm")).Text, StringComparison.Ordinal);
        adminBrowser.Screenshot("console-confirm-revoke");
        Assert.Equal("active", adminBrowser.Wait(By.CssSelector("#tokens td.status")).Text);
        adminBrowser.Click(By.Id("confirm-yes"));
        adminBrowser.WaitForText("revoked.");
        Assert.Equal("revoked", adminBrowser.Wait(By.CssSelector("#tokens td.status")).Text);

        // The revoked token is refused at the next run start.
        var refused = await CliProcess.RunAsync(home, null, null, "token");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("revoked", refused.Stderr, StringComparison.Ordinal);

        // Local access off: a fresh token from the member is refused with the 403 message.
        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/policies");
        ownerBrowser.Wait(By.Id("local_access_enabled")).Click();
        ownerBrowser.Click(By.Id("save-policies"));
        ownerBrowser.WaitForText("Policies saved.");
        var second = CreateToken(memberBrowser, workspace, "after policy change");
        var denied = await CliProcess.RunAsync(home, null, second, "login", "--with-access-token", "--server", server.Issuer);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains(LocalAccessDenied, denied.Stderr, StringComparison.Ordinal);

        // Every step is on record, and the owner can read and filter it.
        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/audit?type=access_token.");
        ownerBrowser.WaitForText("access_token.revoked");
        Assert.Contains("access_token.refused", ownerBrowser.Driver.PageSource, StringComparison.Ordinal);
        ownerBrowser.Screenshot("console-audit");
        Assert.DoesNotContain(secret, ownerBrowser.Driver.PageSource, StringComparison.Ordinal);

        ownerBrowser.Open($"{server.Issuer}/console/{workspace}/api-keys");
        ownerBrowser.Fill("name", "model gateway");
        ownerBrowser.Submit("name");
        Assert.StartsWith("sk-lk-", ownerBrowser.Wait(By.Id("key-value")).GetAttribute("value"), StringComparison.Ordinal);
        ownerBrowser.Screenshot("console-api-keys");
        ownerBrowser.Open($"{server.Issuer}/account/security");
        ownerBrowser.Wait(By.Id("apps")); // the CLI and app sign-ins section (a list, or "No CLI or app is signed in.")
        ownerBrowser.Screenshot("console-security-settings");
    }
}
