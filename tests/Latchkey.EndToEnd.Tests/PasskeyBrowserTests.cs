using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Passkeys end to end: the real server (its issuer on http://localhost, since WebAuthn needs a domain for the relying
/// party id), real headless Chromium, and Chromium's DevTools virtual authenticator (CTAP2, internal transport,
/// resident keys, user verification) standing in for a device's platform authenticator. The browser runs the page's
/// own passkeys.js and WebAuthn code; nothing is faked on the server. Screenshots: artifacts/screenshots/passkeys-*.png.
/// </summary>
public sealed class PasskeyBrowserTests : IAsyncLifetime
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-passkeys-" + Guid.NewGuid().ToString("N"));
    private ServerProcess server = null!;
    private HttpUser owner = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("latchkey-e2e-").FullName, launch: new ServerLaunch(IssuerHost: "localhost"));
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

    /// <summary>WebAuthn.addVirtualAuthenticator: a platform authenticator that keeps discoverable credentials and verifies the user.</summary>
    private static HeadlessChromium BrowserWithAuthenticator()
    {
        var browser = new HeadlessChromium();
        browser.Driver.ExecuteCdpCommand("WebAuthn.enable", new Dictionary<string, object?> { ["enableUI"] = false });
        browser.Driver.ExecuteCdpCommand("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object?>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });
        return browser;
    }

    private void EnrolPasskey(HeadlessChromium browser, string name)
    {
        browser.Open(server.Issuer + "/account/security");
        browser.Fill("passkey-name", name);
        browser.Click(By.Id("add-passkey-button"));
        browser.WaitForText($"Passkey “{name}” added");
    }

    private void SignOut(HeadlessChromium browser)
    {
        browser.Driver.Manage().Cookies.DeleteCookieNamed("latchkey.session");
        browser.Open(server.Issuer + "/account/login");
    }

    [Fact]
    public void Passkey_EnrolledInChromium_IsTheSecondFactor_ThenSignsInWithoutPassword_ThenIsRemoved()
    {
        using var browser = BrowserWithAuthenticator();
        browser.SignInToAccount(server.Issuer, owner);
        EnrolPasskey(browser, "Chromium virtual key");
        browser.Driver.ExecuteScript("document.getElementById('passkeys').scrollIntoView()");
        browser.Screenshot("passkeys-security");

        // Password, then the passkey instead of the authenticator code.
        SignOut(browser);
        browser.Screenshot("passkeys-login");
        browser.Fill("email", owner.Email);
        browser.Fill("password", owner.Password);
        browser.Submit("password");
        browser.Wait(By.Id("passkey-button"));
        browser.Screenshot("passkeys-mfa");
        browser.Click(By.Id("passkey-button"));
        browser.Wait(By.Id("console-link"));

        // No email, no password: the discoverable credential names the account.
        SignOut(browser);
        browser.Click(By.Id("passkey-button"));
        browser.Wait(By.Id("console-link"));

        browser.Open(server.Issuer + "/account/security");
        var row = browser.Wait(By.CssSelector("tr[data-passkey='Chromium virtual key']"));
        Assert.DoesNotContain("never", row.Text, StringComparison.Ordinal);

        // Removal asks first, naming the passkey; only the answer removes it.
        row.FindElement(By.CssSelector("button.danger")).Click();
        Assert.Contains("Remove the passkey “Chromium virtual key”?", browser.Wait(By.Id("confirm-question")).Text, StringComparison.Ordinal);
        browser.Screenshot("passkeys-remove-confirm");
        browser.Click(By.Id("confirm-yes"));
        browser.WaitForText("Passkey removed.");
        browser.Wait(By.Id("no-passkeys"));

        // The authenticator still holds the credential, but the server no longer knows it.
        SignOut(browser);
        browser.Click(By.Id("passkey-button"));
        browser.WaitForText("The passkey could not be verified");
        Assert.Null(browser.Driver.Manage().Cookies.GetCookieNamed("latchkey.session"));
    }

    [Fact]
    public async Task CliBrowserLogin_CompletedWithAPasskey_WithoutPassword()
    {
        using var browser = BrowserWithAuthenticator();
        browser.SignInToAccount(server.Issuer, owner);
        EnrolPasskey(browser, "CLI key");
        SignOut(browser);

        using var login = CliProcess.Start(home, null, null, "login", "--server", server.Issuer);
        var url = (await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal))).Trim();
        browser.Open(url);
        browser.Click(By.Id("passkey-button"));
        browser.WaitForText("You are signed in");

        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Successfully logged in as " + owner.Email, login.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await CliProcess.RunAsync(home, null, null, "login", "status")).ExitCode);
    }
}
