using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Accounts;

public sealed class SignInTests : ServerTest
{
    private static Dictionary<string, string> Login(string email, string password) => new() { ["email"] = email, ["password"] = password };

    [Fact]
    public async Task WrongPassword_AndUnknownEmail_GetIdenticalAnswers()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);

        var (wrong, wrongBody) = await session.SubmitAsync("/account/login", Login(user.Email, "not the password at all"));
        var (unknown, unknownBody) = await session.SubmitAsync("/account/login", Login("nobody-" + Guid.NewGuid() + "@example.com", "not the password at all"));

        Assert.Equal(wrong.StatusCode, unknown.StatusCode);
        Assert.Contains("The email or password is incorrect.", wrongBody, StringComparison.Ordinal);
        Assert.Contains("The email or password is incorrect.", unknownBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiveFailures_LockOut_EvenTheRightPassword_ThenExpire()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        for (var i = 0; i < 5; i++)
        {
            await session.SubmitAsync("/account/login", Login(user.Email, "wrong password " + i));
        }

        var (locked, body) = await session.SubmitAsync("/account/login", Login(user.Email, user.Password));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Contains("Too many failed attempts", body, StringComparison.Ordinal);

        Factory.Clock.Advance(TimeSpan.FromMinutes(15));
        var (after, _) = await session.SubmitAsync("/account/login", Login(user.Email, user.Password));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task UnknownEmail_LocksOutTheSameWay_SoLockoutRevealsNothing()
    {
        using var session = new WebSession(Factory);
        var email = "ghost-" + Guid.NewGuid() + "@example.com";
        for (var i = 0; i < 5; i++)
        {
            await session.SubmitAsync("/account/login", Login(email, "wrong password " + i));
        }

        var (locked, _) = await session.SubmitAsync("/account/login", Login(email, "anything at all"));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
    }

    [Fact]
    public async Task PasswordAlone_DoesNotSignIn_MfaRequired()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        await session.SubmitAsync("/account/login", Login(user.Email, user.Password));

        var (device, _) = await session.GetAsync("/device");

        Assert.Equal(HttpStatusCode.Redirect, device.StatusCode);
        Assert.Contains("/account/login", device.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewAccount_IsForcedToEnrollTotp_AndGetsTenRecoveryCodes()
    {
        var email = $"new-{Guid.NewGuid():N}@example.com";
        await Factory.Get<AccountService>().CreateUserAsync(email, TestAccounts.Password, CancellationToken.None);
        using var session = new WebSession(Factory);

        var (login, _) = await session.SubmitAsync("/account/login", Login(email, TestAccounts.Password));
        Assert.Equal("/account/mfa-setup", login.Headers.Location!.OriginalString);
        var (_, setupHtml) = await session.GetAsync("/account/mfa-setup");
        var key = WebSession.Element(setupHtml, "manual-key")!;
        Assert.Contains("data:image/png;base64,", setupHtml, StringComparison.Ordinal);

        var (bad, _) = await session.SubmitAsync("/account/mfa-setup", new Dictionary<string, string> { ["code"] = "000000", ["protectedSecret"] = WebSession.Hidden(setupHtml, "protectedSecret")! });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var token = WebSession.Hidden(setupHtml, "__RequestVerificationToken")!;
        var (ok, codesHtml) = await session.PostAsync("/account/mfa-setup", new Dictionary<string, string>
        {
            ["code"] = TestAccounts.CurrentCode(Factory, key),
            ["protectedSecret"] = WebSession.Hidden(setupHtml, "protectedSecret")!,
            ["__RequestVerificationToken"] = token,
        });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(10, System.Text.RegularExpressions.Regex.Count(codesHtml, "<li>[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}</li>"));
        var (home, _) = await session.GetAsync("/device");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
    }

    [Fact]
    public async Task EnrollmentSecretFromAnotherUser_IsRejected()
    {
        var emailA = $"a-{Guid.NewGuid():N}@example.com";
        var emailB = $"b-{Guid.NewGuid():N}@example.com";
        var accounts = Factory.Get<AccountService>();
        await accounts.CreateUserAsync(emailA, TestAccounts.Password, CancellationToken.None);
        await accounts.CreateUserAsync(emailB, TestAccounts.Password, CancellationToken.None);
        using var a = new WebSession(Factory);
        using var b = new WebSession(Factory);
        await a.SubmitAsync("/account/login", Login(emailA, TestAccounts.Password));
        await b.SubmitAsync("/account/login", Login(emailB, TestAccounts.Password));
        var (_, htmlA) = await a.GetAsync("/account/mfa-setup");

        var (response, _) = await b.SubmitAsync("/account/mfa-setup", new Dictionary<string, string>
        {
            ["code"] = TestAccounts.CurrentCode(Factory, WebSession.Element(htmlA, "manual-key")!),
            ["protectedSecret"] = WebSession.Hidden(htmlA, "protectedSecret")!,
        });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Null((await Factory.Get<UserRepository>().FindByNormalizedEmailAsync(emailB, CancellationToken.None))!.TotpSecretProtected);
    }

    [Fact]
    public async Task SameTotpCode_WorksOnlyOnce_Rfc6238Section5_2()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = TestAccounts.CurrentCode(Factory, user.TotpSecret);
        using var first = new WebSession(Factory);
        using var second = new WebSession(Factory);
        await first.SubmitAsync("/account/login", Login(user.Email, user.Password));
        await second.SubmitAsync("/account/login", Login(user.Email, user.Password));

        var (ok, _) = await first.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = code });
        var (replay, _) = await second.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = code });

        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
    }

    [Fact]
    public async Task RecoveryCode_SignsInOnce()
    {
        var email = $"r-{Guid.NewGuid():N}@example.com";
        var accounts = Factory.Get<AccountService>();
        var created = await accounts.CreateUserAsync(email, TestAccounts.Password, CancellationToken.None);
        var secret = Totp.NewSecretBase32();
        var codes = await accounts.CompleteTotpEnrollmentAsync(created.UserId!, secret, TestAccounts.CurrentCode(Factory, secret), null, CancellationToken.None);

        async Task<HttpStatusCode> TryAsync()
        {
            using var s = new WebSession(Factory);
            await s.SubmitAsync("/account/login", Login(email, TestAccounts.Password));
            return (await s.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = codes![0].ToUpperInvariant() })).Response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Redirect, await TryAsync());
        Assert.Equal(HttpStatusCode.BadRequest, await TryAsync());
    }

    [Fact]
    public async Task MfaGuessing_LocksOutAfterFiveWrongCodes()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        await session.SubmitAsync("/account/login", Login(user.Email, user.Password));
        for (var i = 0; i < 5; i++)
        {
            await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = "00000" + i });
        }

        Factory.Clock.Advance(TimeSpan.FromSeconds(30));
        var (response, _) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Login_ExternalReturnUrl_IsIgnored_NoOpenRedirect()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        await session.SubmitAsync("/account/login?returnUrl=https%3A%2F%2Fevil.example%2F", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password, ["returnUrl"] = "https://evil.example/" });
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));

        var (mfa, _) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) });

        Assert.Equal("/", mfa.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SessionCookie_IsHttpOnlyAndLax()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);
        await session.SubmitAsync("/account/login", Login(user.Email, user.Password));
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));

        var (mfa, _) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) });

        var cookie = mfa.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRejected()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory);

        var (response, _) = await session.PostAsync("/account/login", Login(user.Email, user.Password));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SignOut_IsPostOnly_AndEndsTheSession()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);

        var (get, _) = await session.GetAsync("/device");
        var (signedOut, _) = await session.SubmitAsync("/account/logout", new Dictionary<string, string>());
        var (after, _) = await session.GetAsync("/device");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Single(await Factory.Get<AuditRepository>().QueryAsync("sign_out", user.Id, 10, CancellationToken.None));
    }

    [Fact]
    public async Task SessionCookie_OverHttps_IsSecure()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = new WebSession(Factory, new Uri("https://localhost"));
        await session.SubmitAsync("/account/login", Login(user.Email, user.Password));
        Factory.Clock.Advance(TimeSpan.FromSeconds(30));

        var (mfa, _) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = TestAccounts.CurrentCode(Factory, user.TotpSecret) });

        var cookie = mfa.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }
}
