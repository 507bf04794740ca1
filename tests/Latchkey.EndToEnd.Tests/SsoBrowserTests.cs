using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Single sign-on end to end: the real Latchkey server, a real upstream OpenID provider (node oidc-provider) as its own
/// process on loopback, and real headless Chromium between them. Screenshots: artifacts/screenshots/sso-*.png.
/// </summary>
public sealed class SsoBrowserTests : IAsyncLifetime
{
    private const string Domain = "corp.example";
    private readonly string id = Guid.NewGuid().ToString("N")[..8];
    private ServerProcess server = null!;
    private UpstreamIdentityProvider idp = null!;
    private HttpUser owner = null!;

    private string CarolEmail => $"carol-{id}@{Domain}";

    private string DaveEmail => $"dave-{id}@{Domain}";

    public async ValueTask InitializeAsync()
    {
        UpstreamIdentityProvider.SkipUnlessInstalled();
        var idpPort = UpstreamIdentityProvider.FreePort();
        server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Sso__Providers__0__Name"] = "corp",
            ["Latchkey__Sso__Providers__0__DisplayName"] = "Corp SSO",
            ["Latchkey__Sso__Providers__0__Authority"] = $"http://127.0.0.1:{idpPort}",
            ["Latchkey__Sso__Providers__0__ClientId"] = UpstreamIdentityProvider.ClientId,
            ["Latchkey__Sso__Providers__0__ClientSecret"] = UpstreamIdentityProvider.ClientSecret,
            ["Latchkey__Sso__Providers__0__TrustedEmailDomains__0"] = Domain,
        });
        owner = await HttpUser.CreateOwnerAsync(server);
        idp = await UpstreamIdentityProvider.StartAsync(idpPort, server.Issuer + "/account/sso/callback/corp", new Dictionary<string, object>
        {
            ["carol"] = new { email = CarolEmail, email_verified = true, name = "Carol" },
            // Claims the owner's address without the provider having verified it: must never open the owner's account.
            ["mallory"] = new { email = owner.Email, email_verified = false },
            ["dave"] = new { email = DaveEmail, email_verified = true },
        });
    }

    public async ValueTask DisposeAsync()
    {
        owner.Dispose();
        await idp.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task SignInThroughUpstream_JoinsJustInTime_CliTokensSayFed_AndRequiredSsoRefusesPasswords_OidcCore3_1_3_7()
    {
        var workspaceId = await owner.WorkspaceIdAsync();
        var daveInvite = await owner.InviteAsync(workspaceId, "member");
        using var dave = await HttpUser.RegisterWithoutMfaAsync(server, daveInvite, DaveEmail);

        await ClaimDomainWithJitAsync(workspaceId);

        // Carol has no Latchkey account: she signs in at the provider, gets one, and joins the workspace just in time.
        using var carol = new HeadlessChromium();
        carol.Open(server.Issuer + "/account/login");
        carol.Screenshot("sso-login");
        carol.Click(By.Id("sso-corp"));
        SignInUpstream(carol, "carol");
        carol.Wait(By.Id("console-link"));
        carol.Open(server.Issuer + "/console");
        Assert.Contains($"data-workspace=\"{workspaceId}\"", carol.Driver.PageSource, StringComparison.Ordinal);

        // The CLI's browser sign-in with that session: tokens say how she signed in (RFC 8176 amr, OIDC Core §2 acr).
        var verifier = Pkce.CreateVerifier();
        var redirect = $"http://127.0.0.1:{UpstreamIdentityProvider.FreePort()}/auth/callback";
        try
        {
            carol.Open($"{server.Issuer}/oauth/authorize?response_type=code&client_id=latchkey-cli&redirect_uri={Uri.EscapeDataString(redirect)}"
                + $"&scope=openid%20offline_access&state=st&code_challenge={Pkce.ComputeS256Challenge(verifier)}&code_challenge_method=S256&allowed_workspace_id={workspaceId}");
        }
        catch (WebDriverException)
        {
            // Nobody listens on the loopback callback: the browser shows an error page, with the code in its address.
        }

        var callback = new Uri(new OpenQA.Selenium.Support.UI.WebDriverWait(carol.Driver, TimeSpan.FromSeconds(20)).Until(d => d.Url.StartsWith(redirect, StringComparison.Ordinal) ? d.Url : null));
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        var tokens = await ExchangeAsync(code, verifier, redirect);
        Assert.True(JwtCodec.TryDecodeUnverified((string)tokens["id_token"]!, out _, out var claims));
        Assert.Equal(["fed"], claims["amr"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("urn:latchkey:acr:fed", (string?)claims["acr"]);
        Assert.Equal(CarolEmail, (string?)claims["email"]);
        Assert.True((bool)claims["email_verified"]!); // the provider asserted it (OIDC Core §5.1)

        // Now the domain requires SSO: Dave's password — the right one — is refused with a clear message.
        await SetPolicyAsync(workspaceId, requireSso: true);

        using var daveBrowser = new HeadlessChromium();
        daveBrowser.Open(server.Issuer + "/account/login");
        daveBrowser.Fill("email", DaveEmail);
        daveBrowser.Fill("password", dave.Password);
        daveBrowser.Submit("password");
        daveBrowser.WaitForText("Your organisation requires single sign-on for corp.example addresses");
        daveBrowser.Wait(By.Id("sso-required"));
        daveBrowser.Screenshot("sso-required");
        Assert.Null(daveBrowser.Driver.Manage().Cookies.GetCookieNamed("latchkey.mfa"));
    }

    [Fact]
    public async Task UnverifiedEmail_LinkIsRefused_ThenAcceptedAfterProvingTheAccount_OidcCore5_7()
    {
        using var browser = new HeadlessChromium();
        browser.Open(server.Issuer + "/account/login");
        browser.Click(By.Id("sso-corp"));
        SignInUpstream(browser, "mallory");
        var error = browser.Wait(By.Id("sso-error"));
        Assert.Contains("Latchkey cannot tell by itself which account this Corp SSO identity belongs to", error.Text, StringComparison.Ordinal);
        Assert.Null(browser.Driver.Manage().Cookies.GetCookieNamed("latchkey.session"));
        browser.Screenshot("sso-link-required");

        // The person proves the account (password and second factor), then confirms the link.
        browser.Click(By.Id("sso-link"));
        browser.EnterPasswordAndCode(owner);
        browser.Wait(By.Id("link-confirm"));
        browser.Screenshot("sso-link-confirm");
        browser.Click(By.Id("link-confirm"));
        browser.Wait(By.Id("console-link"));

        // From now on the upstream identity signs in to the owner's account by itself.
        browser.Driver.Manage().Cookies.DeleteCookieNamed("latchkey.session");
        browser.Open(server.Issuer + "/account/login");
        browser.Click(By.Id("sso-corp"));
        SignInUpstreamIfAsked(browser, "mallory");
        browser.Wait(By.Id("console-link"));
        browser.Open(server.Issuer + "/account/security");
        Assert.Contains(owner.Email, browser.Driver.PageSource, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AccountWithPasswordAndSso_WithoutMfa_MustEnrolBeforeTheSessionStarts_Asvs5_6_3_3()
    {
        var invite = await owner.InviteAsync(await owner.WorkspaceIdAsync(), "member");
        using var dave = await HttpUser.RegisterWithoutMfaAsync(server, invite, DaveEmail);
        Assert.Equal(0, (await OperatorAsync("verify-email", DaveEmail)).ExitCode);

        using var browser = new HeadlessChromium();
        browser.Open(server.Issuer + "/account/login");
        browser.Click(By.Id("sso-corp"));
        SignInUpstream(browser, "dave");

        // Linked (verified address at a trusted domain, verified account), but the password still opens the account:
        // it gets a second factor before any session exists.
        try
        {
            new OpenQA.Selenium.Support.UI.WebDriverWait(browser.Driver, TimeSpan.FromSeconds(20)).Until(d => d.Url.EndsWith("/account/mfa-setup", StringComparison.Ordinal));
        }
        catch (WebDriverTimeoutException)
        {
            Assert.Fail(browser.Driver.Url + "\n" + browser.Driver.PageSource[..Math.Min(3000, browser.Driver.PageSource.Length)] + "\n---server---\n" + server.Output[^Math.Min(6000, server.Output.Length)..] + "\n---idp---\n" + idp.Output);
        }
        browser.Screenshot("sso-mfa-rule");
        Assert.Null(browser.Driver.Manage().Cookies.GetCookieNamed("latchkey.session"));
    }

    /// <summary>The owner claims the domain in the console; the operator confirms it out of band; the owner turns on JIT.</summary>
    private async Task ClaimDomainWithJitAsync(string workspaceId)
    {
        using var ownerBrowser = new HeadlessChromium();
        ownerBrowser.SignInToAccount(server.Issuer, owner);
        ownerBrowser.Open($"{server.Issuer}/console/{workspaceId}/sso");
        ownerBrowser.Fill("domain", Domain);
        ownerBrowser.Submit("domain");
        ownerBrowser.WaitForText("Ask your Latchkey operator to confirm it");
        Assert.Equal((0, $"{Domain} is confirmed"), await OperatorAsync("confirm-sso-domain", Domain));
        ownerBrowser.Open($"{server.Issuer}/console/{workspaceId}/sso");
        ownerBrowser.Driver.ExecuteScript("arguments[0].value = 'member'", ownerBrowser.Wait(By.Id("jit-" + Domain)));
        ownerBrowser.Click(By.CssSelector($"tr[data-domain='{Domain}'] button"));
        ownerBrowser.WaitForText("Single sign-on settings for");
        ownerBrowser.Screenshot("sso-console");
    }

    /// <summary>
    /// Issue 16: the real CLI's browser and device sign-ins with an account that only has SSO (made just in time):
    /// no password, so the MFA rule leaves it to the provider, and the tokens say `fed`.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task RealCli_BrowserAndDeviceSignIn_ThroughTheUpstreamProvider()
    {
        var workspaceId = await owner.WorkspaceIdAsync();
        await ClaimDomainWithJitAsync(workspaceId);
        var home = Path.Combine(Path.GetTempPath(), "latchkey-sso-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var carol = new HeadlessChromium();
            using (var login = CliProcess.Start(home, null, null, "login", "--server", server.Issuer))
            {
                var url = (await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal))).Trim();
                carol.Open(url);
                carol.Click(By.Id("sso-corp"));
                SignInUpstream(carol, "carol");
                carol.WaitForText("You are signed in");
                Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("Successfully logged in as " + CarolEmail, login.Stdout, StringComparison.Ordinal);
            }

            Assert.Equal(0, (await CliProcess.RunAsync(home, null, null, "logout")).ExitCode);

            // The device flow, approved in the browser that holds her SSO session.
            using (var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer))
            {
                var userCode = (await login.WaitForLineAsync(CliOutput.IsUserCodeLine)).Trim();
                carol.Open(server.Issuer + "/device");
                SignInUpstreamIfAsked(carol, "carol");
                carol.Fill("user_code", userCode);
                carol.Submit("user_code");
                carol.Click(By.Id("approve"));
                carol.WaitForText("Device approved");
                carol.Screenshot("sso-device-approved");
                Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("Successfully logged in as " + CarolEmail, login.Stdout, StringComparison.Ordinal);
            }

            var status = await CliProcess.RunAsync(home, null, null, "login", "status", "--check");
            Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
            Assert.Contains(CarolEmail, status.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }

    /// <summary>oidc-provider's development login (any password) and consent pages.</summary>
    private void SignInUpstream(HeadlessChromium browser, string login)
    {
        var name = browser.Wait(By.Name("login"));
        Assert.StartsWith(idp.Issuer, browser.Driver.Url, StringComparison.Ordinal);
        name.SendKeys(login);
        browser.Driver.FindElement(By.Name("password")).SendKeys("any password");
        browser.Driver.FindElement(By.CssSelector("button[type=submit]")).Click();
        // The consent page's button has the login page's class: wait for the login page to go, or the click can find
        // the old button just before it goes stale (seen once in CI).
        new OpenQA.Selenium.Support.UI.WebDriverWait(browser.Driver, TimeSpan.FromSeconds(20)).Until(driver =>
        {
            try
            {
                _ = name.Displayed;
                return false;
            }
            catch (StaleElementReferenceException)
            {
                return true;
            }
        });
        browser.Click(By.CssSelector("button.login-submit")); // consent
    }

    private void SignInUpstreamIfAsked(HeadlessChromium browser, string login)
    {
        new OpenQA.Selenium.Support.UI.WebDriverWait(browser.Driver, TimeSpan.FromSeconds(20))
            .Until(d => !d.Url.Contains("/account/login", StringComparison.Ordinal));
        if (browser.Driver.Url.StartsWith(idp.Issuer, StringComparison.Ordinal) && browser.Driver.FindElements(By.Name("login")).Count > 0)
        {
            SignInUpstream(browser, login);
        }
        else if (browser.Driver.Url.StartsWith(idp.Issuer, StringComparison.Ordinal))
        {
            browser.Click(By.CssSelector("button.login-submit"));
        }
    }

    private async Task SetPolicyAsync(string workspaceId, bool requireSso)
    {
        using var browser = new HeadlessChromium();
        browser.SignInToAccount(server.Issuer, owner);
        browser.Open($"{server.Issuer}/console/{workspaceId}/sso");
        var box = browser.Wait(By.CssSelector($"tr[data-domain='{Domain}'] input[name=require_sso]"));
        if (box.Selected != requireSso)
        {
            box.Click();
        }

        browser.Click(By.CssSelector($"tr[data-domain='{Domain}'] button"));
        browser.WaitForText("Single sign-on settings for");
        await Task.CompletedTask;
    }

    private async Task<JsonObject> ExchangeAsync(string code, string verifier, string redirect)
    {
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirect, ["client_id"] = "latchkey-cli", ["code_verifier"] = verifier,
        });
        var response = await http.PostAsync(new Uri(server.Issuer + "/oauth/token"), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task<(int ExitCode, string Output)> OperatorAsync(string command, string operand)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { RepositoryPaths.ServerDll, command, operand, "--data-dir", server.DataDirectory, "--port", "5999" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        return (process.ExitCode, output.Contains($"{operand} is confirmed", StringComparison.Ordinal) ? $"{operand} is confirmed" : output);
    }
}
