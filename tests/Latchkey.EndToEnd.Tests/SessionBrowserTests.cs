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
        browser.Open(server.Issuer + "/account/login");
        browser.Fill("email", owner.Email);
        browser.Fill("password", owner.Password);
        browser.Submit("password");
        browser.Fill("code", owner.NextCode());
        browser.Submit("code");
        browser.Wait(By.Id("console-link"));

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

    private async Task<HttpStatusCode> ConsoleWithCookieAsync(string sessionCookie)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Issuer + "/console"));
        request.Headers.Add("Cookie", "latchkey.session=" + sessionCookie);
        return (await http.SendAsync(request)).StatusCode;
    }
}
