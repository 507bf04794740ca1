using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Sso;

/// <summary>
/// Workspace SSO domains on each engine: a claim does nothing until the operator confirms it; a confirmed domain that
/// requires SSO refuses passwords (even the right one) with a clear message; home-realm discovery sends the address to
/// its provider; just-in-time membership only for a verified address through the domain's own provider.
/// </summary>
public abstract class SsoDomainTests(DatabaseEngine engine) : ServerTest(engine, SsoSettings.Corp())
{
    private SsoDomainService Domains => Factory.Get<SsoDomainService>();

    private static string NewDomain() => $"d{Guid.NewGuid():N}"[..20] + ".example";

    private async Task<TestUser> AdminWithDomainAsync(string domain, bool confirm, bool requireSso = false, string? jitRole = null)
    {
        var admin = await TestAccounts.CreateEnrolledAsync(Factory);
        Assert.Null(await Domains.ClaimAsync(admin.WorkspaceId, admin.Id, domain.ToUpperInvariant(), SsoSettings.Provider, CancellationToken.None));
        if (confirm)
        {
            Assert.NotNull(await Domains.ConfirmAsync(domain, CancellationToken.None));
            Assert.Null(await Domains.SetPolicyAsync(admin.WorkspaceId, admin.Id, domain, requireSso, jitRole, CancellationToken.None));
        }

        return admin;
    }

    private async Task<TestUser> EnrolledAtAsync(string domain)
    {
        var accounts = Factory.Get<AccountService>();
        var email = $"u-{Guid.NewGuid():N}@{domain}";
        var created = await accounts.CreateUserAsync(email, TestAccounts.Password, CancellationToken.None);
        var secret = Totp.NewSecretBase32();
        Assert.NotNull(await accounts.CompleteTotpEnrollmentAsync(created.UserId!, secret, TestAccounts.CurrentCode(Factory, secret), null, CancellationToken.None));
        return new TestUser(created.UserId!, email, TestAccounts.Password, secret, created.WorkspaceId!);
    }

    private async Task<(HttpResponseMessage Response, string Body)> PasswordSignInAsync(TestUser user)
    {
        using var session = new WebSession(Factory);
        return await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = user.Password });
    }

    [Fact]
    public async Task RequiredSso_RefusesTheRightPassword_WithAClearMessage_Asvs5_6_1()
    {
        var domain = NewDomain();
        await AdminWithDomainAsync(domain, confirm: true, requireSso: true);
        var person = await EnrolledAtAsync(domain);

        var (response, body) = await PasswordSignInAsync(person);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains($"Your organisation requires single sign-on for {domain} addresses", WebUtility.HtmlDecode(body), StringComparison.Ordinal);
        Assert.Contains("/account/sso/start/corp?", body, StringComparison.Ordinal);
        Assert.DoesNotContain("latchkey.mfa", string.Join(';', response.Headers.TryGetValues("Set-Cookie", out var c) ? c : []), StringComparison.Ordinal);
        var events = await Factory.Get<AuditRepository>().QueryAsync(null, null, 1000, CancellationToken.None);
        Assert.Contains(events, e => e.EventType == AuditEventTypes.SsoPasswordRefused);
    }

    [Fact]
    public async Task UnconfirmedClaim_ChangesNothing_PasswordStillWorks()
    {
        var domain = NewDomain();
        var admin = await AdminWithDomainAsync(domain, confirm: false);
        var person = await EnrolledAtAsync(domain);

        var (response, _) = await PasswordSignInAsync(person);
        var policy = await Domains.SetPolicyAsync(admin.WorkspaceId, admin.Id, domain, true, null, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/mfa", response.Headers.Location!.OriginalString);
        Assert.NotNull(policy); // a pending claim cannot require anything
    }

    [Fact]
    public async Task ClaimedDomain_CannotBeClaimedByAnotherWorkspace()
    {
        var domain = NewDomain();
        await AdminWithDomainAsync(domain, confirm: true);
        var other = await TestAccounts.CreateEnrolledAsync(Factory);

        var refused = await Domains.ClaimAsync(other.WorkspaceId, other.Id, domain, SsoSettings.Provider, CancellationToken.None);

        Assert.Equal("domain_claimed", refused?.Code);
    }

    [Fact]
    public async Task HomeRealmDiscovery_SendsTheAddressToItsProvider()
    {
        var domain = NewDomain();
        await AdminWithDomainAsync(domain, confirm: true);
        using var session = new WebSession(Factory);

        var (found, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = $"x@{domain}" }, "/account/login?handler=sso");
        var (unknown, _) = await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = "x@unknown.example" }, "/account/login?handler=sso");

        Assert.Equal(HttpStatusCode.Redirect, found.StatusCode);
        Assert.StartsWith("/account/sso/start/corp?returnUrl=%2F&login_hint=x%40", found.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task UnreachableProvider_IsAMessage_NotAServerError()
    {
        using var session = new WebSession(Factory);

        var (response, _) = await session.GetAsync("/account/sso/start/corp");
        var (unknown, _) = await session.GetAsync("/account/sso/start/nope");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?message=sso-unavailable", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task JustInTimeMembership_VerifiedAddressThroughTheDomainsProvider_JoinsWithTheDefaultRole()
    {
        var domain = NewDomain();
        var admin = await AdminWithDomainAsync(domain, confirm: true, jitRole: "member");
        var service = Factory.Get<ExternalSignInService>();

        var joined = await service.ResolveAsync(new ExternalIdentity(SsoSettings.Provider, SsoSettings.Issuer, "s-" + Guid.NewGuid().ToString("N"), $"new@{domain}", true, null), null, CancellationToken.None);
        var membership = await Factory.Get<WorkspaceRepository>().FindMembershipAsync(joined.User!.Id, admin.WorkspaceId, CancellationToken.None);

        Assert.Equal("member", membership?.Role);
    }

    [Fact]
    public async Task JustInTimeMembership_NeverForAPendingClaim_NorAnOwnerRole()
    {
        var domain = NewDomain();
        var admin = await AdminWithDomainAsync(domain, confirm: false);
        var service = Factory.Get<ExternalSignInService>();

        var signedIn = await service.ResolveAsync(new ExternalIdentity(SsoSettings.Provider, SsoSettings.Issuer, "s-" + Guid.NewGuid().ToString("N"), $"new@{domain}", true, null), null, CancellationToken.None);
        var membership = await Factory.Get<WorkspaceRepository>().FindMembershipAsync(signedIn.User!.Id, admin.WorkspaceId, CancellationToken.None);
        Assert.NotNull(await Domains.ConfirmAsync(domain, CancellationToken.None));
        var owner = await Domains.SetPolicyAsync(admin.WorkspaceId, admin.Id, domain, false, "owner", CancellationToken.None);

        Assert.Null(membership);
        Assert.Equal("validation_failed", owner?.Code);
    }

    [Fact]
    public async Task RemoveDomain_InConsole_AsksFirst_ThenRemovesAndAudits_AndPasswordsWorkAgain()
    {
        var domain = NewDomain();
        var admin = await AdminWithDomainAsync(domain, confirm: true, requireSso: true);
        var person = await EnrolledAtAsync(domain);
        using var console = await TestAccounts.SignInAsync(Factory, admin);
        var page = $"/console/{admin.WorkspaceId}/sso";

        // One click only asks: nothing changes until the question is answered.
        var (ask, _) = await console.SubmitAsync(page, new Dictionary<string, string> { ["domain"] = domain }, page + "?handler=remove");
        Assert.Equal(HttpStatusCode.Redirect, ask.StatusCode);
        Assert.Contains("confirm=remove", ask.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.NotNull(await Factory.Get<SsoDomainRepository>().FindAsync(domain, CancellationToken.None));
        var (_, question) = await console.GetAsync(ask.Headers.Location!.OriginalString);
        Assert.Contains($"Remove the domain {domain} from this workspace?", WebUtility.HtmlDecode(question), StringComparison.Ordinal);

        var (removed, _) = await console.SubmitAsync(page, new Dictionary<string, string> { ["domain"] = domain, ["confirm"] = "yes" }, page + "?handler=remove");

        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Null(await Factory.Get<SsoDomainRepository>().FindAsync(domain, CancellationToken.None));
        var events = await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.SsoDomainRemoved, admin.Id, 10, CancellationToken.None);
        Assert.Contains(events, e => e.WorkspaceId == admin.WorkspaceId && e.Detail!.Contains(domain, StringComparison.Ordinal));
        Assert.Equal("/account/mfa", (await PasswordSignInAsync(person)).Response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task RemoveDomain_ClaimedByAnotherWorkspace_IsNotFound_AndStays()
    {
        var domain = NewDomain();
        var owner = await AdminWithDomainAsync(domain, confirm: true, requireSso: true);
        var other = await TestAccounts.CreateEnrolledAsync(Factory);
        using var console = await TestAccounts.SignInAsync(Factory, other);
        var page = $"/console/{other.WorkspaceId}/sso";

        var (response, _) = await console.SubmitAsync(page, new Dictionary<string, string> { ["domain"] = domain, ["confirm"] = "yes" }, page + "?handler=remove");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(owner.WorkspaceId, (await Factory.Get<SsoDomainRepository>().FindAsync(domain, CancellationToken.None))?.WorkspaceId);
    }

    [Fact]
    public async Task RequiredSso_RefusesPasswordlessPasskeySignIn_Too()
    {
        var domain = NewDomain();
        var person = await EnrolledAtAsync(domain);
        var user = (await Factory.Get<UserRepository>().FindByIdAsync(person.Id, CancellationToken.None))!;
        using var key = new SoftwareAuthenticator();
        var passkeys = Factory.Get<PasskeyService>();
        var ceremony = await passkeys.BeginRegistrationAsync(user, CancellationToken.None);
        Assert.True((await passkeys.CompleteRegistrationAsync(user.Id, "Phone", key.Register(ceremony.OptionsJson), ceremony.Handle, null, CancellationToken.None)).Succeeded);
        await AdminWithDomainAsync(domain, confirm: true, requireSso: true);

        using var session = new WebSession(Factory);
        var (response, body) = await PasskeyFlows.SignInPasswordlessAsync(session, key);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("requires single sign-on", body, StringComparison.Ordinal);
        Assert.Null(session.SessionCookie);
    }
}

public sealed class SqliteSsoDomainTests() : SsoDomainTests(DatabaseEngine.Sqlite);

public sealed class PostgresSsoDomainTests() : SsoDomainTests(DatabaseEngine.Postgres);
