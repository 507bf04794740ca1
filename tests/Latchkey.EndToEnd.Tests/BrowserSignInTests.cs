using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The real CLI and the real server, with the person's part played in real headless Chromium.</summary>
public sealed class BrowserSignInTests : IAsyncLifetime
{
    private readonly string home = Path.Combine(Path.GetTempPath(), "latchkey-browser-" + Guid.NewGuid().ToString("N"));
    private ServerProcess server = null!;
    private HttpUser user = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServerProcess.StartAsync();
        user = await HttpUser.CreateOwnerAsync(server); // owner with TOTP enrolled; Chromium signs in as them
    }

    public async ValueTask DisposeAsync()
    {
        user.Dispose();
        await server.DisposeAsync();
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private void SignInWithPasswordAndTotp(HeadlessChromium browser)
    {
        browser.Wait(By.Id("email"));
        browser.Screenshot("sign-in");
        browser.Fill("email", user.Email);
        browser.Fill("password", user.Password);
        browser.Submit("password");
        browser.Wait(By.Id("code"));
        browser.Screenshot("mfa");
        browser.Fill("code", user.NextCode());
        browser.Submit("code");
    }

    [Fact]
    public async Task CliBrowserLogin_CompletedInChromium_WithPasswordAndTotp()
    {
        using var browser = new HeadlessChromium();
        using var login = CliProcess.Start(home, null, null, "login", "--server", server.Issuer);
        var url = (await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal))).Trim();

        browser.Open(url);
        SignInWithPasswordAndTotp(browser);
        browser.WaitForText("You are signed in");
        browser.Screenshot("cli-callback-success");

        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Successfully logged in as " + user.Email, login.Stdout, StringComparison.Ordinal);
        var status = await CliProcess.RunAsync(home, null, null, "login", "status");
        Assert.Equal(0, status.ExitCode);
    }

    [Fact]
    public async Task CliDeviceLogin_ApprovedInChromium()
    {
        using var browser = new HeadlessChromium();
        using var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer);
        var complete = (await login.WaitForLineAsync(l => l.StartsWith(server.Issuer + "/device?user_code=", StringComparison.Ordinal))).Trim();
        var code = (await login.WaitForLineAsync(CliOutput.IsUserCodeLine)).Trim();

        browser.Open(complete);
        SignInWithPasswordAndTotp(browser);
        Assert.Equal(code, browser.Wait(By.Id("user_code")).GetAttribute("value"));
        browser.Screenshot("device-enter-code");
        browser.Submit("user_code");
        Assert.Equal("Latchkey CLI", browser.Wait(By.Id("client-name")).Text);
        browser.Screenshot("device-confirm");
        browser.Click(By.Id("approve"));
        browser.WaitForText("Device approved");
        browser.Screenshot("device-approved");

        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Successfully logged in as " + user.Email, login.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceLogin_ServerHasDeviceSignInOff_FallsBackToBrowser()
    {
        await server.DisposeAsync();
        server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Latchkey__DeviceAuthorizationEnabled"] = "false" });
        user.Dispose();
        user = await HttpUser.CreateOwnerAsync(server);
        using var browser = new HeadlessChromium();
        using var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer);
        var url = (await login.WaitForLineAsync(l => l.TrimStart().StartsWith(server.Issuer + "/oauth/authorize?", StringComparison.Ordinal))).Trim();

        browser.Open(url);
        SignInWithPasswordAndTotp(browser);
        browser.WaitForText("You are signed in");

        Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Device sign-in is switched off on this server; using the browser sign-in instead.", login.Stderr, StringComparison.Ordinal);
    }
}
