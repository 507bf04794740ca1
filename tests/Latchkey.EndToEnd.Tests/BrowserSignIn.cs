using OpenQA.Selenium;

namespace Latchkey.EndToEnd.Tests;

/// <summary>The sign-in form filled as a person would: the one way the browser tests sign someone in with a password.</summary>
public static class BrowserSignIn
{
    /// <summary>Address and password, then the authenticator code, on the sign-in form already open.</summary>
    public static void EnterPasswordAndCode(this HeadlessChromium browser, HttpUser user)
    {
        ArgumentNullException.ThrowIfNull(browser);
        ArgumentNullException.ThrowIfNull(user);
        browser.Fill("email", user.Email);
        browser.Fill("password", user.Password);
        browser.Submit("password");
        browser.Fill("code", user.NextCode());
        browser.Submit("code");
    }

    /// <summary>Opens the server's sign-in page, signs in with password and code, and waits for the signed-in page.</summary>
    public static void SignInToAccount(this HeadlessChromium browser, string issuer, HttpUser user)
    {
        ArgumentNullException.ThrowIfNull(browser);
        browser.Open(issuer + "/account/login");
        browser.EnterPasswordAndCode(user);
        browser.Wait(By.Id("console-link"));
    }
}
