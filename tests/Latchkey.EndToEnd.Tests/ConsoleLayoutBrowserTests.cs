using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Issue 17: every console page in real headless Chromium at a desktop width (1280 px) and a phone width (390 px), in
/// light and dark colours: no page scrolls sideways, and the row buttons (Revoke, Change role, Remove) are on screen.
/// Screenshots go to artifacts/screenshots/layout-*.png.
/// </summary>
public sealed class ConsoleLayoutBrowserTests : IAsyncLifetime
{
    private ServerProcess server = null!;
    private HttpUser owner = null!;
    private HttpUser member = null!;
    private string workspace = null!;
    private string tokenId = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Latchkey__RateLimits__SignInPerMinute"] = "1000" });
        owner = await HttpUser.CreateOwnerAsync(server);
        workspace = await owner.WorkspaceIdAsync();
        member = await HttpUser.JoinByInvitationAsync(server, await owner.InviteAsync(workspace, "member"));
        await owner.InviteAsync(workspace, "admin");
        (tokenId, _) = await owner.CreateAccessTokenAsync(workspace, "nightly build on ci.example.com with a long name");
        await owner.CreateApiKeyAsync(workspace, "model gateway for the staging cluster");
    }

    public async ValueTask DisposeAsync()
    {
        owner.Dispose();
        member.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public void Every_console_page_fits_a_phone_and_a_desktop_in_light_and_dark()
    {
        using var browser = SignedIn(owner);
        var pages = new (string Name, string Path, By Ready)[]
        {
            ("workspaces", "/console", By.Id("workspaces")),
            ("home", $"/console/{workspace}", By.Id("abilities")),
            ("members", $"/console/{workspace}/members", By.Id("members")),
            ("roles", $"/console/{workspace}/roles", By.Id("roles")),
            ("policies", $"/console/{workspace}/policies", By.Id("policies")),
            ("tokens", $"/console/{workspace}/tokens", By.Id("tokens")),
            ("confirm-revoke", $"/console/{workspace}/tokens?confirm=revoke&tokenId={tokenId}", By.Id("confirm")),
            ("api-keys", $"/console/{workspace}/api-keys", By.Id("keys")),
            ("audit", $"/console/{workspace}/audit", By.Id("events")),
            ("sso", $"/console/{workspace}/sso", By.Id("sso-domains")),
            ("security", "/account/security", By.Id("web-sessions")),
        };
        foreach (var (width, height, dark) in new[] { (1280, 1300, false), (390, 1600, false), (390, 1600, true), (1280, 1300, true) })
        {
            browser.Viewport(width, height, dark);
            foreach (var (name, path, ready) in pages)
            {
                browser.Open(server.Issuer + path);
                browser.Wait(ready);
                var (scroll, inner) = browser.Widths();
                Assert.True(scroll <= inner, $"{name} at {width} px: the page is {scroll} px wide in a {inner} px viewport");
                foreach (var button in browser.Driver.FindElements(By.CssSelector("main button, main .button")).Where(b => b.Displayed))
                {
                    Assert.True(button.Location.X >= 0 && button.Location.X + button.Size.Width <= inner,
                        $"{name} at {width} px: “{button.Text}” spans {button.Location.X}–{button.Location.X + button.Size.Width} px of {inner}");
                }

                browser.Screenshot($"layout-{name}-{width}{(dark ? "-dark" : string.Empty)}");
            }
        }

        // The Revoke button of a token row is reachable on a phone and leads to the confirmation.
        browser.Viewport(390, 844);
        browser.Open($"{server.Issuer}/console/{workspace}/tokens");
        browser.Click(By.CssSelector($"button[data-revoke='{tokenId}']"));
        browser.Wait(By.Id("confirm-yes"));

        using var memberBrowser = SignedIn(member);
        memberBrowser.Viewport(390, 1200);
        memberBrowser.Open($"{server.Issuer}/console/{workspace}");
        memberBrowser.Wait(By.Id("abilities"));
        var (memberScroll, memberInner) = memberBrowser.Widths();
        Assert.True(memberScroll <= memberInner, $"member home: {memberScroll} px in {memberInner}");
        memberBrowser.Screenshot("layout-member-home-390");
    }

    private HeadlessChromium SignedIn(HttpUser user)
    {
        var browser = new HeadlessChromium();
        browser.SignInToAccount(server.Issuer, user);
        return browser;
    }
}
