using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Sso;

/// <summary>
/// Decides what an upstream sign-in means (docs/server-security.md, "Account linking"). The identity is found by
/// (issuer, subject) only. An unlinked identity links to an existing account by email only when the provider asserts
/// the address verified, the operator trusts that provider for the address's domain, and the account's own address
/// was verified — otherwise whoever pre-registered the address (or asserts it unverified) would share the account
/// (pre-account-takeover; OIDC Core §5.7: email is not a stable identifier). Anything short of that needs the person to
/// prove the existing account with its password and second factor.
/// </summary>
public sealed class ExternalSignInService(
    ExternalIdentityRepository identities,
    UserRepository users,
    AccountService accounts,
    SsoProviderDirectory providers,
    SsoDomainService domains,
    AuditLog audit,
    TimeProvider time)
{
    public const string LinkedByCreation = "created";
    public const string LinkedByVerifiedDomain = "verified_domain";
    public const string LinkedByProof = "proved_account";

    public const string DisabledMessage = "This account is disabled. Ask your Latchkey administrator to enable it.";

    public async Task<ExternalSignInResult> ResolveAsync(ExternalIdentity identity, string? ipAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var provider = providers.Find(identity.Provider) ?? throw new InvalidOperationException("Unknown provider " + identity.Provider);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var linked = await identities.FindAsync(identity.Issuer, identity.Subject, cancellationToken);
        if (linked is not null && await users.FindByIdAsync(linked.UserId, cancellationToken) is { } linkedUser)
        {
            await identities.TouchAsync(identity.Issuer, identity.Subject, identity.Email, identity.EmailVerified, now, cancellationToken);
            return await SignedInAsync(identity, linkedUser, linked.LinkedBy, ipAddress, cancellationToken);
        }

        if (EmailAddress.Domain(identity.Email) is null)
        {
            return await RefuseAsync(identity, "Your identity provider did not give an email address, so Latchkey cannot tell which account is yours.", ipAddress, cancellationToken);
        }

        var existing = await users.FindByNormalizedEmailAsync(EmailAddress.Normalize(identity.Email!), cancellationToken);
        if (existing is not null)
        {
            var vouched = identity.EmailVerified && SsoProviderDirectory.IsTrustedFor(provider, identity.Email) && existing.EmailVerifiedAt is not null;
            if (!vouched)
            {
                await audit.WriteAsync(AuditEventTypes.SsoLinkRequired, existing.Id, ipAddress: ipAddress, detail: Detail(identity), cancellationToken: cancellationToken);
                return LinkRequired(provider);
            }

            return await LinkAndSignInAsync(identity, existing, LinkedByVerifiedDomain, ipAddress, cancellationToken);
        }

        if (!provider.AllowAccountCreation)
        {
            return await RefuseAsync(identity, $"No Latchkey account has the address {identity.Email}, and accounts are not created through {provider.ResolveDisplayName()}. Ask your administrator for an invitation.", ipAddress, cancellationToken);
        }

        // An unverified address must not claim the account name: whoever later owns it could not get it back. The
        // answer is the same as when an account has the address, so an unverified claim cannot probe which exist.
        if (!identity.EmailVerified)
        {
            await audit.WriteAsync(AuditEventTypes.SsoLinkRequired, null, ipAddress: ipAddress, detail: Detail(identity), cancellationToken: cancellationToken);
            return LinkRequired(provider);
        }

        var created = await accounts.CreateExternalUserAsync(identity.Email!, emailVerified: true, cancellationToken);
        if (created is null)
        {
            // Someone made the account a moment ago: decide again with it in place.
            return await ResolveAsync(identity, ipAddress, cancellationToken);
        }

        await audit.WriteAsync(AuditEventTypes.SsoAccountCreated, created.Id, ipAddress: ipAddress, detail: Detail(identity), cancellationToken: cancellationToken);
        return await LinkAndSignInAsync(identity, created, LinkedByCreation, ipAddress, cancellationToken);
    }

    /// <summary>
    /// Links the identity to the account the person has just proved (password and second factor, checked by the
    /// caller). False when the identity is already linked to an account.
    /// </summary>
    public async Task<bool> LinkProvedAccountAsync(ExternalIdentity identity, string userId, string? ipAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var user = await users.FindByIdAsync(userId, cancellationToken);
        if (user is null || !await LinkAsync(identity, user, LinkedByProof, ipAddress, cancellationToken))
        {
            return false;
        }

        await domains.ApplyJustInTimeMembershipAsync(identity, user, ipAddress, cancellationToken);
        return true;
    }

    public Task<IReadOnlyList<ExternalIdentityRow>> ListForUserAsync(string userId, CancellationToken cancellationToken) => identities.ListForUserAsync(userId, cancellationToken);

    private async Task<ExternalSignInResult> LinkAndSignInAsync(ExternalIdentity identity, UserRow user, string linkedBy, string? ipAddress, CancellationToken cancellationToken)
    {
        if (!await LinkAsync(identity, user, linkedBy, ipAddress, cancellationToken))
        {
            // Linked concurrently: whichever account holds it now is the answer.
            return await ResolveAsync(identity, ipAddress, cancellationToken);
        }

        return await SignedInAsync(identity, user, linkedBy, ipAddress, cancellationToken);
    }

    private async Task<bool> LinkAsync(ExternalIdentity identity, UserRow user, string linkedBy, string? ipAddress, CancellationToken cancellationToken)
    {
        var linked = await identities.TryLinkAsync(new ExternalIdentityRow
        {
            Issuer = identity.Issuer,
            Subject = identity.Subject,
            Provider = identity.Provider,
            UserId = user.Id,
            Email = identity.Email,
            EmailVerified = identity.EmailVerified,
            LinkedBy = linkedBy,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, cancellationToken);
        if (linked)
        {
            var detail = Detail(identity);
            detail["linked_by"] = linkedBy;
            await audit.WriteAsync(AuditEventTypes.SsoIdentityLinked, user.Id, ipAddress: ipAddress, detail: detail, cancellationToken: cancellationToken);
        }

        return linked;
    }

    private async Task<ExternalSignInResult> SignedInAsync(ExternalIdentity identity, UserRow user, string linkedBy, string? ipAddress, CancellationToken cancellationToken)
    {
        // A disabled account signs in by no method (ASVS 5.0 §7.4.2), single sign-on included.
        if (user.DisabledAt is not null)
        {
            await audit.WriteAsync(AuditEventTypes.SignInFailed, user.Id, ipAddress: ipAddress, detail: new JsonObject { ["reason"] = "account_disabled", ["method"] = "sso" }, cancellationToken: cancellationToken);
            return new ExternalSignInResult(ExternalSignInOutcome.Refused, null, DisabledMessage);
        }

        await domains.ApplyJustInTimeMembershipAsync(identity, user, ipAddress, cancellationToken);
        return new ExternalSignInResult(ExternalSignInOutcome.SignedIn, user, null, linkedBy);
    }

    private static ExternalSignInResult LinkRequired(SsoProviderOptions provider) => new(ExternalSignInOutcome.LinkRequired, null,
        $"Latchkey cannot tell by itself which account this {provider.ResolveDisplayName()} identity belongs to. If you have a Latchkey account, "
        + "sign in to it once with its password and second factor to link the two; otherwise ask your administrator for an invitation.");

    private async Task<ExternalSignInResult> RefuseAsync(ExternalIdentity identity, string message, string? ipAddress, CancellationToken cancellationToken)
    {
        await audit.WriteAsync(AuditEventTypes.SsoRefused, null, ipAddress: ipAddress, detail: Detail(identity), cancellationToken: cancellationToken);
        return new ExternalSignInResult(ExternalSignInOutcome.Refused, null, message);
    }

    private static JsonObject Detail(ExternalIdentity identity) => new()
    {
        ["provider"] = identity.Provider,
        ["issuer"] = identity.Issuer,
        ["subject"] = identity.Subject,
        ["email_verified"] = identity.EmailVerified,
    };
}
