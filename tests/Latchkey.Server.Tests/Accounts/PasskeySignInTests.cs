using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Accounts;

/// <summary>
/// Passkeys through the pages, as a browser running passkeys.js uses them: enrolment on the Security page, the second
/// factor after a password, passwordless sign-in, what the CLI's tokens then say (RFC 8176 amr), the browser binding of
/// a ceremony, removal, recovery codes as the fallback, and the workspace policy requiring a passkey.
/// </summary>
public sealed class PasskeySignInTests : ServerTest
{
    private static async Task<JsonObject> CliTokensAsync(LatchkeyServerFactory factory, WebSession session)
    {
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session);
        var (status, tokens) = await OAuthFlows.ExchangeAsync(factory.CreateClient(), code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        return tokens;
    }

    private static JsonObject Claims(JsonObject tokens)
    {
        Assert.True(JwtCodec.TryDecodeUnverified((string)tokens["id_token"]!, out _, out var claims));
        return claims;
    }

    private async Task<(TestUser User, SoftwareAuthenticator Key)> EnrolledAsync()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        var key = new SoftwareAuthenticator();
        var (response, body) = await PasskeyFlows.EnrolAsync(session, key);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, body);
        return (user, key);
    }

    [Fact]
    public async Task Passkey_EnrolledOnSecurityPage_SignsInAsSecondFactorAndPasswordless_TokensSayHwk_Rfc8176()
    {
        var (user, key) = await EnrolledAsync();
        using (key)
        {
            using var second = new WebSession(Factory);
            var (mfa, mfaBody) = await PasskeyFlows.SignInWithPasswordAndPasskeyAsync(second, user, key);
            Assert.True(mfa.StatusCode == HttpStatusCode.Redirect, mfaBody);
            var (_, security) = await second.GetAsync("/account/security");
            Assert.Contains("data-passkey=\"Laptop\"", security, StringComparison.Ordinal);
            var claims = Claims(await CliTokensAsync(Factory, second));
            Assert.Equal(["pwd", "hwk", "mfa"], claims["amr"]!.AsArray().Select(v => (string)v!));
            Assert.Equal("urn:latchkey:acr:phr", (string?)claims["acr"]);

            using var passwordless = new WebSession(Factory);
            var (signIn, body) = await PasskeyFlows.SignInPasswordlessAsync(passwordless, key, returnUrl: "/account/security");
            Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, body);
            Assert.Equal("/account/security", signIn.Headers.Location?.OriginalString);
            claims = Claims(await CliTokensAsync(Factory, passwordless));
            Assert.Equal(["hwk", "mfa"], claims["amr"]!.AsArray().Select(v => (string)v!));
            Assert.Equal("urn:latchkey:acr:phr", (string?)claims["acr"]);
            Assert.Equal(user.Id, (string?)claims["sub"]);
        }
    }

    [Fact]
    public async Task Ceremony_AnsweredFromAnotherBrowser_IsRefused_ChallengeBoundToTheBrowser()
    {
        var (_, key) = await EnrolledAsync();
        using (key)
        {
            using var victim = new WebSession(Factory);
            var options = await PasskeyFlows.OptionsAsync(victim, "/account/login");
            key.SignCount++;
            var answer = key.Assert(options);

            // The answer (and its challenge) carried to another browser, which has no ceremony cookie of that challenge.
            using var attacker = new WebSession(Factory);
            await PasskeyFlows.OptionsAsync(attacker, "/account/login");
            var (response, _) = await attacker.SubmitAsync("/account/login", new Dictionary<string, string> { ["credential"] = answer }, "/account/login?handler=passkey");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(attacker.SessionCookie);
        }
    }

    [Fact]
    public async Task Remove_AnotherUsersPasskey_IsNotFound_OwnRemovalAsksFirstAndIsAudited()
    {
        var (alice, key) = await EnrolledAsync();
        using (key)
        {
            var mallory = await TestAccounts.CreateEnrolledAsync(Factory);
            using var mallorySession = await TestAccounts.SignInAsync(Factory, mallory);
            var (refused, _) = await mallorySession.SubmitAsync("/account/security", new Dictionary<string, string> { ["credentialId"] = key.CredentialIdBase64Url, ["confirm"] = "yes" }, "/account/security?handler=removepasskey");
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.NotNull(await Factory.Get<PasskeyRepository>().FindAsync(key.CredentialIdBase64Url, CancellationToken.None));

            using var aliceSession = await TestAccounts.SignInAsync(Factory, alice);
            var (ask, _) = await aliceSession.SubmitAsync("/account/security", new Dictionary<string, string> { ["credentialId"] = key.CredentialIdBase64Url }, "/account/security?handler=removepasskey");
            Assert.Contains("confirm=removepasskey", ask.Headers.Location?.OriginalString, StringComparison.Ordinal);
            Assert.NotNull(await Factory.Get<PasskeyRepository>().FindAsync(key.CredentialIdBase64Url, CancellationToken.None));
            var (_, question) = await aliceSession.GetAsync(ask.Headers.Location!.OriginalString);
            Assert.Contains("Remove the passkey “Laptop”?", WebUtility.HtmlDecode(question), StringComparison.Ordinal);
            var (removed, _) = await aliceSession.SubmitAsync("/account/security", new Dictionary<string, string> { ["credentialId"] = key.CredentialIdBase64Url, ["confirm"] = "yes" }, "/account/security?handler=removepasskey");
            Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
            Assert.Null(await Factory.Get<PasskeyRepository>().FindAsync(key.CredentialIdBase64Url, CancellationToken.None));
            var audit = await Factory.Get<AuditRepository>().QueryAsync(null, alice.Id, 50, CancellationToken.None);
            Assert.Contains(audit, e => e.EventType == "passkey.removed");
            Assert.Contains(audit, e => e.EventType == "passkey.added");
        }
    }

    [Fact]
    public async Task Enrol_WithAnOldSignIn_IsRefused_RecentAuthenticationRequired_Asvs5_6_4_1()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        using var session = await TestAccounts.SignInAsync(Factory, user);
        Factory.Clock.Advance(Pages.Account.SecurityModel.RecentSignIn + TimeSpan.FromSeconds(1));

        var (_, html) = await session.GetAsync("/account/security");
        var (response, body) = await session.PostAsync("/account/security?handler=passkeyoptions",
            new Dictionary<string, string> { ["__RequestVerificationToken"] = WebSession.Hidden(html, "__RequestVerificationToken")! });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("recent_sign_in_required", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecoveryCode_StillWorksAsSecondFactor_ForAnAccountWithPasskeys()
    {
        var accounts = Factory.Get<AccountService>();
        var (user, key) = await EnrolledAsync();
        using (key)
        {
            var codes = await accounts.RegenerateRecoveryCodesAsync(user.Id, CancellationToken.None);
            using var session = new WebSession(Factory);
            await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
            var (_, page) = await session.GetAsync("/account/mfa");
            Assert.Contains("Use a passkey", page, StringComparison.Ordinal);

            var (response, _) = await session.SubmitAsync("/account/mfa", new Dictionary<string, string> { ["code"] = codes[0] });

            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.NotNull(session.SessionCookie);
        }
    }

    [Fact]
    public async Task Pages_MalformedOrMissingCredential_Are400_NeverA500()
    {
        using var session = new WebSession(Factory);
        await PasskeyFlows.OptionsAsync(session, "/account/login");
        foreach (var credential in new[] { string.Empty, "{", "{\"rawId\":123}", new string('a', PasskeyService.MaxResponseLength + 1) })
        {
            var (response, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["credential"] = credential }, "/account/login?handler=passkey");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    /// <summary>NIST SP 800-63B §5.2.5: with "require phishing-resistant MFA" on, only a passkey sign-in gets CLI tokens.</summary>
    [Fact]
    public async Task RequirePasskeyPolicy_RefusesCliSignInAndRefreshOfATotpSession_AllowsAPasskeySession()
    {
        var (owner, key) = await EnrolledAsync();
        using (key)
        {
            using var totpSession = await TestAccounts.SignInAsync(Factory, owner);
            var totpTokens = await CliTokensAsync(Factory, totpSession);

            var (saved, _) = await totpSession.SubmitAsync($"/console/{owner.WorkspaceId}/policies", new Dictionary<string, string>
            {
                ["local_access_enabled"] = "true", ["device_sign_in_enabled"] = "true", ["require_passkey"] = "true",
            });
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
            Assert.True((await Factory.Get<WorkspaceRepository>().FindAsync(owner.WorkspaceId, CancellationToken.None))!.RequirePasskey);

            // A new CLI sign-in from the password + code session is refused, with the policy's sentence for the CLI.
            var (authorize, _) = await totpSession.GetAsync(OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier())));
            var query = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query);
            Assert.Equal("access_denied", query["error"].ToString());
            Assert.Contains("requires a passkey", query["error_description"].ToString(), StringComparison.Ordinal);

            // The sign-in the CLI already holds stops refreshing.
            var (refreshStatus, refreshed) = await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)totpTokens["refresh_token"]!);
            Assert.Equal(HttpStatusCode.Forbidden, refreshStatus);
            Assert.Contains("requires a passkey", refreshed.ToJsonString(), StringComparison.Ordinal);

            // Signed in with the passkey, the CLI gets its tokens.
            using var passkeySession = new WebSession(Factory);
            var (signIn, body) = await PasskeyFlows.SignInWithPasswordAndPasskeyAsync(passkeySession, owner, key);
            Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, body);
            var tokens = await CliTokensAsync(Factory, passkeySession);
            Assert.Equal(HttpStatusCode.OK, (await OAuthFlows.RefreshAsync(Factory.CreateClient(), (string)tokens["refresh_token"]!)).Status);

            var audit = await Factory.Get<AuditRepository>().QueryAsync(null, owner.Id, 100, CancellationToken.None);
            Assert.Contains(audit, e => e.EventType == "mfa.passkey_required_refusal");
        }
    }
}
