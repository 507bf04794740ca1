using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Accounts;

/// <summary>
/// Server-side web sessions, through the real pages: a session that was ended is refused everywhere at once, including
/// any copy of its cookie (ASVS 5.0 §7.4.1), and changing a factor or signing out everywhere ends the others and every
/// refresh-token grant (ASVS 5.0 §7.4.3, §7.5).
/// </summary>
public abstract partial class WebSessionTests(DatabaseEngine engine) : ServerTest(engine)
{
    private const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    private async Task<HttpStatusCode> ConsoleStatusWithAsync(string sessionCookie)
    {
        using var copy = WebSession.WithCopiedCookie(Factory, sessionCookie);
        return (await copy.GetAsync(new Uri("/console", UriKind.Relative))).StatusCode;
    }

    private async Task<string> RefreshTokenOfCliSignInAsync(WebSession session)
    {
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        var (status, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        return tokens["refresh_token"]!.GetValue<string>();
    }

    [Fact]
    public async Task Logout_CopiedCookie_IsRefusedAfterwards_Asvs5_7_4_1()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var copied = session.SessionCookie!;
        var before = await ConsoleStatusWithAsync(copied);

        var (signedOut, _) = await session.SubmitAsync("/console", new Dictionary<string, string>(), "/account/logout");

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await ConsoleStatusWithAsync(copied));
        Assert.Empty(await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(user.Id, Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None));
    }

    [Fact]
    public async Task HeaderSignOutForm_CarriesAntiforgeryToken_AndSignsOut()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);

        var (_, html) = await session.GetAsync("/console");
        var form = SignOutForm().Match(html);
        Assert.True(form.Success, "no header sign-out form");
        var token = WebSession.Hidden(form.Value, "__RequestVerificationToken");
        Assert.NotNull(token);
        var action = Regex.Match(form.Value, "action=\"([^\"]*)\"").Groups[1].Value;
        Assert.Equal("/account/logout", action);
        var (signedOut, _) = await session.PostAsync(action, new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        var (after, _) = await session.GetAsync("/console");

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/account/login?message=signed-out", signedOut.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task SignOutEverywhere_EndsEveryWebSessionAndRefreshGrant_Asvs5_7_5()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var laptop = await TestAccounts.SignInAsync(Factory, user);
        using var phone = await TestAccounts.SignInAsync(Factory, user);
        var refreshToken = await RefreshTokenOfCliSignInAsync(laptop);
        var laptopCopy = laptop.SessionCookie!;

        var (done, _) = await laptop.SubmitAsync("/account/security", new Dictionary<string, string> { ["password"] = user.Password }, "/account/security?handler=everywhere");
        var (refresh, body) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refreshToken);

        Assert.Equal("/account/login?message=signed-out-everywhere", done.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await ConsoleStatusWithAsync(laptopCopy));
        Assert.Equal(HttpStatusCode.BadRequest, refresh);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignOutEverywhere_WithoutTheCurrentPassword_EndsNothing_Asvs5_7_5_2()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var laptop = await TestAccounts.SignInAsync(Factory, user);
        using var phone = await TestAccounts.SignInAsync(Factory, user);

        var (refused, _) = await laptop.SubmitAsync("/account/security", new Dictionary<string, string> { ["password"] = "not the password" }, "/account/security?handler=everywhere");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/console")).Response.StatusCode);
    }

    [Fact]
    public async Task PasswordChange_EndsOtherSessionsAndRefreshGrants_KeepsCurrent_Asvs5_7_4_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var current = await TestAccounts.SignInAsync(Factory, user);
        using var other = await TestAccounts.SignInAsync(Factory, user);
        var refreshToken = await RefreshTokenOfCliSignInAsync(other);

        var (changed, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string>
        {
            ["current_password"] = user.Password,
            ["new_password"] = "a brand new long password",
        }, "/account/security?handler=password");
        var (refresh, body) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refreshToken);

        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refresh);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task PasswordChange_WrongCurrentPassword_EndsNothing()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var current = await TestAccounts.SignInAsync(Factory, user);
        using var other = await TestAccounts.SignInAsync(Factory, user);

        var (refused, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string>
        {
            ["current_password"] = "not the password",
            ["new_password"] = "a brand new long password",
        }, "/account/security?handler=password");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/console")).Response.StatusCode);
    }

    [Fact]
    public async Task NewRecoveryCodes_EndOtherSessionsAndRefreshGrants_KeepCurrent_Asvs5_7_4_3()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var current = await TestAccounts.SignInAsync(Factory, user);
        using var other = await TestAccounts.SignInAsync(Factory, user);
        var refreshToken = await RefreshTokenOfCliSignInAsync(other);
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));

        var (made, html) = await current.SubmitAsync("/account/security", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) }, "/account/security?handler=recovery");
        var (refresh, _) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), refreshToken);

        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        Assert.Contains("recovery-codes", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refresh);
    }

    [Fact]
    public async Task SecurityPage_ListsSessionsWithDeviceAndAddress_AndCliSignIns()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var other = new WebSession(Factory);
        other.Client.DefaultRequestHeaders.UserAgent.ParseAdd(ChromeOnWindows);
        using var signedIn = await TestAccounts.SignInAsync(Factory, user);
        await SignInWithAsync(other, user);
        await RefreshTokenOfCliSignInAsync(signedIn);

        var (page, html) = await signedIn.GetAsync("/account/security");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(2, Regex.Count(html, "data-session=\""));
        Assert.Contains("Chrome on Windows", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "This session"));
        Assert.Matches(@"<td data-label=""Address"">(127\.0\.0\.1|::1|unknown)</td>", html);
        Assert.Single(Regex.Matches(html, "data-grant=\""));
        Assert.Contains("Latchkey CLI", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndOneSession_RefusesThatSessionOnly_AndAnotherUsersSessionIsNotFound()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        var stranger = await TestAccounts.CreateEnrolledAsync(Factory);
        using var current = await TestAccounts.SignInAsync(Factory, user);
        using var other = await TestAccounts.SignInAsync(Factory, user);
        using var strangers = await TestAccounts.SignInAsync(Factory, stranger);
        var now = Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var otherId = (await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(user.Id, now, CancellationToken.None)).MaxBy(s => s.CreatedAt)!.Id;
        var strangerId = (await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(stranger.Id, now, CancellationToken.None)).Single().Id;

        var (notFound, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string> { ["sessionId"] = strangerId, ["confirm"] = "yes" }, "/account/security?handler=endsession");
        var (ended, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string> { ["sessionId"] = otherId, ["confirm"] = "yes" }, "/account/security?handler=endsession");

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await strangers.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/console")).Response.StatusCode);
    }

    [Fact]
    public async Task Signing_out_a_session_or_an_app_asks_first_and_an_unconfirmed_post_changes_nothing()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var current = await TestAccounts.SignInAsync(Factory, user);
        using var other = await TestAccounts.SignInAsync(Factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(current);
        var codex = Factory.CreateClient();
        codex.DefaultRequestHeaders.UserAgent.ParseAdd("codex_cli_rs/0.169.0 (Debian 12.0.0; x86_64) xterm-256color");
        var (_, tokens) = await OAuthFlows.ExchangeAsync(codex, code, verifier);
        var now = Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var otherId = (await Factory.Get<WebSessionRepository>().ListActiveForUserAsync(user.Id, now, CancellationToken.None)).MaxBy(s => s.CreatedAt)!.Id;
        var (_, page) = await current.GetAsync("/account/security");
        var grantId = Regex.Match(page, "data-grant=\"([^\"]+)\"").Groups[1].Value;
        Assert.Contains("Codex CLI on Linux", page, StringComparison.Ordinal); // two sign-ins can be told apart by program
        Assert.Contains("Not used yet", page, StringComparison.Ordinal);       // the unclaimed rule, said where it applies

        var (askedSession, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string> { ["sessionId"] = otherId }, "/account/security?handler=endsession");
        var (askedApp, _) = await current.SubmitAsync("/account/security", new Dictionary<string, string> { ["grantId"] = grantId }, "/account/security?handler=revoke");

        Assert.Equal(HttpStatusCode.Redirect, askedSession.StatusCode);
        Assert.Equal("/account/security?confirm=endsession&sessionId=" + otherId, askedSession.Headers.Location!.OriginalString);
        Assert.Equal("/account/security?confirm=signout&grantId=" + grantId, askedApp.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/console")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), tokens["refresh_token"]!.GetValue<string>())).Status);
        var (_, question) = await current.GetAsync(askedApp.Headers.Location!.OriginalString);
        Assert.Contains("id=\"confirm-question\"", question, StringComparison.Ordinal);
        Assert.Contains("Sign out Codex CLI on Linux", System.Net.WebUtility.HtmlDecode(question), StringComparison.Ordinal);
        var (_, sessionQuestion) = await current.GetAsync(askedSession.Headers.Location!.OriginalString);
        Assert.Contains("Sign out that session", sessionQuestion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_RefusedAtItsAbsoluteLifetime_Asvs5_7_3_2()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);

        Factory.Clock.Advance(TimeSpan.FromHours(12) - TimeSpan.FromSeconds(1));
        var (justBefore, _) = await session.GetAsync("/console");
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var (atExpiry, _) = await session.GetAsync("/console");

        Assert.Equal(HttpStatusCode.OK, justBefore.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, atExpiry.StatusCode);
    }

    [Fact]
    public async Task LastSeen_IsWrittenAtMostOncePerMinute()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var sessions = Factory.Get<WebSessionRepository>();
        async Task<long> LastSeenAsync() => (await sessions.ListActiveForUserAsync(user.Id, 0, CancellationToken.None)).Single().LastSeenAt;
        var signedInAt = await LastSeenAsync();

        Factory.Clock.Advance(TimeSpan.FromSeconds(59));
        await session.GetAsync("/console");
        var within = await LastSeenAsync();
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await session.GetAsync("/console");
        var after = await LastSeenAsync();

        Assert.Equal(signedInAt, within);
        Assert.Equal(Factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), after);
    }

    [Fact]
    public async Task SignInAgain_InTheSameBrowser_EndsThePreviousSession_Asvs5_7_2_4()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var first = session.SessionCookie!;

        await SignInWithAsync(session, user);

        Assert.NotEqual(first, session.SessionCookie);
        Assert.Equal(HttpStatusCode.Redirect, await ConsoleStatusWithAsync(first));
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/console")).Response.StatusCode);
    }

    /// <summary>Password then TOTP in an existing client (with its own headers or cookies).</summary>
    private async Task<WebSession> SignInWithAsync(WebSession session, TestUser user)
    {
        await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));
        var (mfa, body) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) });
        Assert.True(mfa.StatusCode == HttpStatusCode.Redirect, body);
        return session;
    }

    [GeneratedRegex("<form[^>]*id=\"sign-out-form\"[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex SignOutForm();
}

public sealed class WebSessionSqliteTests() : WebSessionTests(DatabaseEngine.Sqlite);

public sealed class WebSessionPostgresTests() : WebSessionTests(DatabaseEngine.Postgres);
