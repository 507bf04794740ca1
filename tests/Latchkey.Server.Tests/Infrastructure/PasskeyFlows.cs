using System.Net;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>The passkey ceremonies over HTTP as passkeys.js runs them: ask the page for options, answer, submit the form.</summary>
public static class PasskeyFlows
{
    /// <summary>POSTs <c>{page}?handler=passkeyoptions</c> with the page's antiforgery token; the options JSON.</summary>
    public static async Task<string> OptionsAsync(WebSession session, string page)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (_, html) = await session.GetAsync(page);
        var token = WebSession.Hidden(html, "__RequestVerificationToken") ?? throw new InvalidOperationException($"No form on {page}: {html[..Math.Min(400, html.Length)]}");
        var (response, body) = await session.PostAsync(page + "?handler=passkeyoptions", new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Adds a passkey on the Security page; the response (a redirect when it worked).</summary>
    public static async Task<(HttpResponseMessage Response, string Body)> EnrolAsync(WebSession session, SoftwareAuthenticator authenticator, string name = "Laptop")
    {
        ArgumentNullException.ThrowIfNull(authenticator);
        var options = await OptionsAsync(session, "/account/security");
        return await session.SubmitAsync("/account/security", new Dictionary<string, string> { ["name"] = name, ["credential"] = authenticator.Register(options) }, "/account/security?handler=addpasskey");
    }

    /// <summary>Password, then the passkey as the second factor.</summary>
    public static async Task<(HttpResponseMessage Response, string Body)> SignInWithPasswordAndPasskeyAsync(WebSession session, TestUser user, SoftwareAuthenticator authenticator)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(authenticator);
        var (login, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
        Assert.Equal("/account/mfa", login.Headers.Location?.OriginalString);
        authenticator.SignCount++;
        var options = await OptionsAsync(session, "/account/mfa");
        return await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["credential"] = authenticator.Assert(options) }, "/account/mfa?handler=passkey");
    }

    /// <summary>"Sign in with a passkey" on the sign-in page: no email, no password.</summary>
    public static async Task<(HttpResponseMessage Response, string Body)> SignInPasswordlessAsync(WebSession session, SoftwareAuthenticator authenticator, string returnUrl = "/")
    {
        ArgumentNullException.ThrowIfNull(authenticator);
        authenticator.SignCount++;
        var options = await OptionsAsync(session, "/account/login");
        return await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["credential"] = authenticator.Assert(options), ["returnUrl"] = returnUrl }, "/account/login?handler=passkey");
    }
}
