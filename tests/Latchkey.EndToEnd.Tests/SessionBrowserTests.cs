using System.Net;
using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Web sessions in real headless Chromium against the real server process: the Security page tells sign-ins apart,
/// the header's Sign out button signs out, and a copy of the cookie taken before is refused afterwards (ASVS 5.0 §7.4.1).
/// Screenshots: artifacts/screenshots/security-sessions.png and signed-out.png.
/// </summary>
public sealed class SessionBrowserTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private HttpUser owner = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServerProcess.StartAsync();
        owner = await HttpUser.CreateOwnerAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        owner.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task HeaderSignOut_InChromium_SignsOut_AndTheCopiedCookieIsRefused_Asvs5_7_4_1()
    {
        using var browser = new HeadlessChromium();
        browser.SignInToAccount(server.Issuer, owner);

        // Two sign-ins of one person: the HTTP client's (enrolment) and this browser's, told apart by device.
        browser.Open(server.Issuer + "/account/security");
        var rows = browser.Driver.FindElements(By.CssSelector("#web-sessions tbody tr"));
        Assert.Equal(2, rows.Count);
        var current = browser.Wait(By.CssSelector("#web-sessions tr.current"));
        Assert.Contains("on Linux", current.Text, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", current.Text, StringComparison.Ordinal);
        Assert.Contains("This session", current.Text, StringComparison.Ordinal);
        browser.Click(By.CssSelector("#everywhere summary"));
        var confirm = browser.Wait(By.Id("sign-out-everywhere"));
        browser.Driver.ExecuteScript("arguments[0].scrollIntoView({block: 'end'})", confirm);
        browser.Screenshot("security-sessions");

        var copied = browser.Driver.Manage().Cookies.GetCookieNamed("latchkey.session")!.Value;
        Assert.Equal(HttpStatusCode.OK, await ConsoleWithCookieAsync(copied));

        browser.Click(By.Id("sign-out"));
        browser.WaitForText("You are signed out.");
        browser.Screenshot("signed-out");

        Assert.Null(browser.Driver.Manage().Cookies.GetCookieNamed("latchkey.session"));
        Assert.Equal(HttpStatusCode.Redirect, await ConsoleWithCookieAsync(copied));
    }

    /// <summary>
    /// Issue 17: a CLI sign-in is named by the program that made it, times read in the viewer's own zone, and signing
    /// it out asks first (an unconfirmed click changes nothing). Screenshot: security-confirm-signout.png.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SecurityPage_NamesTheCliSignIn_ShowsLocalTimes_AndAsksBeforeSigningItOut()
    {
        var home = Path.Combine(Path.GetTempPath(), "latchkey-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var login = CliProcess.Start(home, null, null, "login", "--device-auth", "--server", server.Issuer))
            {
                await owner.ApproveDeviceAsync((await login.WaitForLineAsync(CliOutput.IsUserCodeLine)).Trim());
                Assert.Equal(0, await login.WaitAsync(TimeSpan.FromSeconds(60)));
            }

            using var browser = new HeadlessChromium();
            browser.Driver.ExecuteCdpCommand("Emulation.setTimezoneOverride", new Dictionary<string, object?> { ["timezoneId"] = "Asia/Tokyo" });
            browser.SignInToAccount(server.Issuer, owner);
            browser.Open(server.Issuer + "/account/security");

            var row = browser.Wait(By.CssSelector("#grants tbody tr"));
            Assert.Contains("Latchkey CLI on Linux", row.Text, StringComparison.Ordinal);
            Assert.Contains("Not used yet", row.Text, StringComparison.Ordinal);
            var signedIn = row.FindElement(By.CssSelector("td[data-label='Signed in'] time"));
            Assert.Matches(@"GMT\+9|JST", signedIn.GetAttribute("title")); // the viewer's zone, not the server's UTC

            browser.Click(By.CssSelector("#grants button[data-sign-out]"));
            var question = browser.Wait(By.Id("confirm-question"));
            Assert.Contains("Sign out Latchkey CLI on Linux", question.Text, StringComparison.Ordinal);
            Assert.Single(browser.Driver.FindElements(By.CssSelector("#grants tbody tr"))); // nothing changed yet
            browser.Screenshot("security-confirm-signout");

            browser.Click(By.Id("confirm-yes"));
            browser.WaitForText("Signed out of that application.");
            Assert.Single(browser.Driver.FindElements(By.Id("no-grants")));
            var status = await CliProcess.RunAsync(home, null, null, "login", "status", "--check");
            Assert.NotEqual(0, status.ExitCode);
        }
        finally
        {
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }

    private async Task<HttpStatusCode> ConsoleWithCookieAsync(string sessionCookie)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Issuer + "/console"));
        request.Headers.Add("Cookie", "latchkey.session=" + sessionCookie);
        return (await http.SendAsync(request)).StatusCode;
    }
}
