using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Sso;

/// <summary>
/// Account linking that cannot be hijacked (docs/server-security.md, "Account linking"), on each engine. An upstream
/// identity is (issuer, subject) — OIDC Core §5.7: `email` is neither stable nor unique, so it never finds an account by
/// itself; it links only when the provider asserts it verified, for a domain the operator trusts that provider for, to
/// an account whose own address was verified (else pre-account-takeover). Everything else needs proof of the account.
/// </summary>
public abstract class ExternalSignInTests(DatabaseEngine engine) : ServerTest(engine, SsoSettings.Corp())
{
    private ExternalSignInService Service => Factory.Get<ExternalSignInService>();

    private static ExternalIdentity Identity(string email, bool verified, string? subject = null, string issuer = SsoSettings.Issuer)
        => new(SsoSettings.Provider, issuer, subject ?? "sub-" + Guid.NewGuid().ToString("N"), email, verified, null);

    private static string CorpEmail() => $"p-{Guid.NewGuid():N}@{SsoSettings.TrustedDomain}";

    private async Task<string> CreatePasswordAccountAsync(string email, bool verified)
    {
        var accounts = Factory.Get<AccountService>();
        var created = await accounts.CreateUserAsync(email, TestAccounts.Password, CancellationToken.None);
        Assert.True(created.Succeeded, created.Error);
        if (verified)
        {
            Assert.True(await accounts.MarkEmailVerifiedAsync(email, "operator", CancellationToken.None));
        }

        return created.UserId!;
    }

    private async Task<int> LinkedCountAsync(string userId)
        => (await Factory.Get<ExternalIdentityRepository>().ListForUserAsync(userId, CancellationToken.None)).Count;

    [Fact]
    public async Task VerifiedEmail_AtTrustedDomain_LinksToVerifiedAccount_OidcCore5_7()
    {
        var email = CorpEmail();
        var userId = await CreatePasswordAccountAsync(email, verified: true);

        var result = await Service.ResolveAsync(Identity(email.ToUpperInvariant(), verified: true), null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.SignedIn, result.Outcome);
        Assert.Equal(userId, result.User!.Id);
        Assert.Equal(ExternalSignInService.LinkedByVerifiedDomain, result.LinkedBy);
        Assert.Equal(1, await LinkedCountAsync(userId));
    }

    [Fact]
    public async Task UnverifiedEmail_NeverLinks_EvenAtTrustedDomain_OidcCore5_7()
    {
        var email = CorpEmail();
        var userId = await CreatePasswordAccountAsync(email, verified: true);

        var result = await Service.ResolveAsync(Identity(email, verified: false), null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.LinkRequired, result.Outcome);
        Assert.Null(result.User);
        Assert.Equal(0, await LinkedCountAsync(userId));
        var events = await Factory.Get<AuditRepository>().QueryAsync(null, null, 1000, CancellationToken.None);
        Assert.Contains(events, e => e.EventType == AuditEventTypes.SsoLinkRequired && e.UserId == userId);
    }

    [Fact]
    public async Task VerifiedEmail_AtDomainTheProviderIsNotTrustedFor_NeedsProof()
    {
        var email = $"p-{Guid.NewGuid():N}@elsewhere.example";
        var userId = await CreatePasswordAccountAsync(email, verified: true);

        var result = await Service.ResolveAsync(Identity(email, verified: true), null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.LinkRequired, result.Outcome);
        Assert.Equal(0, await LinkedCountAsync(userId));
    }

    [Fact]
    public async Task VerifiedEmail_ToAccountWhoseAddressWasNeverVerified_NeedsProof_PreAccountTakeover()
    {
        // Whoever created this account may not own the address (an open invitation accepts any address); linking would
        // let them keep their password into the real owner's account.
        var email = CorpEmail();
        var userId = await CreatePasswordAccountAsync(email, verified: false);

        var result = await Service.ResolveAsync(Identity(email, verified: true), null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.LinkRequired, result.Outcome);
        Assert.Equal(0, await LinkedCountAsync(userId));
    }

    [Fact]
    public async Task AfterProvingTheAccount_TheIdentityLinks_AndThenSignsInByIssuerAndSubject()
    {
        var email = CorpEmail();
        var userId = await CreatePasswordAccountAsync(email, verified: false);
        var identity = Identity(email, verified: false);

        Assert.True(await Service.LinkProvedAccountAsync(identity, userId, null, CancellationToken.None));
        var again = await Service.ResolveAsync(identity, null, CancellationToken.None);
        var secondAccount = await CreatePasswordAccountAsync($"p-{Guid.NewGuid():N}@elsewhere.example", verified: false);
        var linkedElsewhere = await Service.LinkProvedAccountAsync(identity, secondAccount, null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.SignedIn, again.Outcome);
        Assert.Equal(userId, again.User!.Id);
        Assert.False(linkedElsewhere); // one identity, one account
    }

    [Fact]
    public async Task LinkedIdentity_IsFoundBySubject_NotByTheEmailItNowClaims_OidcCore5_7()
    {
        var email = CorpEmail();
        var owner = await CreatePasswordAccountAsync(email, verified: true);
        var subject = "sub-" + Guid.NewGuid().ToString("N");
        Assert.Equal(ExternalSignInOutcome.SignedIn, (await Service.ResolveAsync(Identity(email, true, subject), null, CancellationToken.None)).Outcome);
        var victimEmail = CorpEmail();
        var victim = await CreatePasswordAccountAsync(victimEmail, verified: true);

        // The provider now says this subject has the victim's address: it is still the first account's identity.
        var moved = await Service.ResolveAsync(Identity(victimEmail, true, subject), null, CancellationToken.None);
        // Another issuer with the same subject is a different identity (OIDC Core §2: sub is unique within an issuer).
        var otherIssuer = await Service.ResolveAsync(Identity(CorpEmail(), false, subject, "http://127.0.0.1:9/other"), null, CancellationToken.None);

        Assert.Equal(owner, moved.User!.Id);
        Assert.Equal(0, await LinkedCountAsync(victim));
        Assert.Equal(ExternalSignInOutcome.LinkRequired, otherIssuer.Outcome);
    }

    [Fact]
    public async Task DisabledAccount_DoesNotSignInThroughItsLinkedIdentity_Asvs5_7_4_2()
    {
        var email = CorpEmail();
        await CreatePasswordAccountAsync(email, verified: true);
        var identity = Identity(email, verified: true);
        Assert.Equal(ExternalSignInOutcome.SignedIn, (await Service.ResolveAsync(identity, null, CancellationToken.None)).Outcome);
        Assert.True(await Factory.Get<AccountDisabling>().DisableAsync(email, "operator", CancellationToken.None));

        var result = await Service.ResolveAsync(identity, null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.Refused, result.Outcome);
        Assert.Null(result.User);
    }

    [Fact]
    public async Task NewIdentity_WithVerifiedEmail_CreatesPasswordlessAccount_MarkedVerified_OidcCore5_1()
    {
        var email = CorpEmail();

        var result = await Service.ResolveAsync(Identity(email, verified: true), null, CancellationToken.None);

        Assert.Equal(ExternalSignInOutcome.SignedIn, result.Outcome);
        var user = await Factory.Get<UserRepository>().FindByIdAsync(result.User!.Id, CancellationToken.None);
        Assert.False(user!.HasPassword);
        Assert.NotNull(user.EmailVerifiedAt);
        // No password opens it: the empty hash is never checked as one.
        var password = await Factory.Get<AccountService>().CheckPasswordAsync(email, string.Empty, null, CancellationToken.None);
        Assert.Equal(SignInOutcome.Failed, password.Outcome);
    }

    [Fact]
    public async Task NewIdentity_WithUnverifiedEmail_CreatesNothing_AndAnswersAsForAnExistingAccount_Asvs5_6_3_8()
    {
        var email = CorpEmail();
        var existing = CorpEmail();
        await CreatePasswordAccountAsync(existing, verified: true);

        var result = await Service.ResolveAsync(Identity(email, verified: false), null, CancellationToken.None);
        var forExisting = await Service.ResolveAsync(Identity(existing, verified: false), null, CancellationToken.None);

        // The same answer either way: an unverified claim cannot find out which addresses have accounts.
        Assert.Equal(ExternalSignInOutcome.LinkRequired, result.Outcome);
        Assert.Equal(forExisting.Outcome, result.Outcome);
        Assert.Equal(forExisting.Message, result.Message);
        Assert.Null(await Factory.Get<UserRepository>().FindByNormalizedEmailAsync(EmailAddress.Normalize(email), CancellationToken.None));
    }
}

public sealed class SqliteExternalSignInTests() : ExternalSignInTests(DatabaseEngine.Sqlite);

public sealed class PostgresExternalSignInTests() : ExternalSignInTests(DatabaseEngine.Postgres);
