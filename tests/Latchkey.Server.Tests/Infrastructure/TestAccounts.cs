using System.Net;
using System.Security.Cryptography;
using Latchkey.Server.Accounts;

namespace Latchkey.Server.Tests.Infrastructure;

public static class TestAccounts
{
    public const string Password = "correct horse battery staple";

    /// <summary>A user with TOTP already enrolled (through the real service) and a personal workspace.</summary>
    public static async Task<TestUser> CreateEnrolledAsync(LatchkeyServerFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var accounts = factory.Get<AccountService>();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var created = await accounts.CreateUserAsync(email, Password, personalWorkspace: true, CancellationToken.None);
        Assert.True(created.Succeeded, created.Error);
        var secret = Totp.NewSecretBase32();
        var codes = await accounts.CompleteTotpEnrollmentAsync(created.UserId!, secret, CurrentCode(factory, secret), null, CancellationToken.None);
        Assert.NotNull(codes);
        return new TestUser(created.UserId!, email, Password, secret, created.WorkspaceId!);
    }

    public static string CurrentCode(LatchkeyServerFactory factory, string secretBase32)
        => Totp.Compute(OtpNet.Base32Encoding.ToBytes(secretBase32), Totp.GetStep(factory.Clock.GetUtcNow()));

    /// <summary>Signs in over HTTP: password, then a fresh TOTP code. Returns the signed-in session.</summary>
    public static async Task<WebSession> SignInAsync(LatchkeyServerFactory factory, TestUser user)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(user);
        var session = new WebSession(factory);
        var (login, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/account/mfa", login.Headers.Location!.OriginalString);

        // Each TOTP step works once (RFC 6238 §5.2): move to a step no earlier sign-in has used.
        factory.Clock.Advance(TimeSpan.FromSeconds(Totp.StepSeconds));
        var (mfa, body) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = CurrentCode(factory, user.TotpSecret) });
        Assert.True(mfa.StatusCode == HttpStatusCode.Redirect, body);
        return session;
    }
}
