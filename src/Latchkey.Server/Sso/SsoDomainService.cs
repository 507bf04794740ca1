using System.Text.Json.Nodes;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Sso;

/// <summary>
/// Workspace SSO domains: an admin claims a domain, the operator confirms the workspace owns it (out of band — this
/// server cannot look up DNS TXT records offline), and from then on the admin may require single sign-on for it and
/// give just-in-time membership. Home-realm discovery sends people with the domain to its provider.
/// </summary>
public sealed class SsoDomainService(
    SsoDomainRepository domains,
    WorkspaceRepository workspaces,
    SsoProviderDirectory providers,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>The confirmed domain entry for an address, or null (none, or still pending).</summary>
    public async Task<SsoDomainRow?> FindVerifiedAsync(string? email, CancellationToken cancellationToken)
    {
        var domain = EmailAddress.Domain(email);
        if (domain is null || domain.Length > 253)
        {
            return null;
        }

        var row = await domains.FindAsync(domain, cancellationToken);
        return row is { VerifiedAt: not null } && providers.Find(row.Provider) is not null ? row : null;
    }

    /// <summary>The provider that must be used for this address when its domain requires single sign-on, else null.</summary>
    public async Task<SsoProviderOptions?> RequiredProviderAsync(string? email, CancellationToken cancellationToken)
        => await FindVerifiedAsync(email, cancellationToken) is { RequireSso: true } row ? providers.Find(row.Provider) : null;

    public Task<IReadOnlyList<SsoDomainRow>> ListAsync(string workspaceId, CancellationToken cancellationToken) => domains.ListForWorkspaceAsync(workspaceId, cancellationToken);

    /// <summary>An administrator claims a domain for their workspace; it stays pending until the operator confirms it.</summary>
    public async Task<ServiceError?> ClaimAsync(string workspaceId, string actorUserId, string? domain, string? provider, CancellationToken cancellationToken)
    {
        domain = domain?.Trim().ToLowerInvariant();
        if (domain is null || !SsoOptionsValidation.DomainPattern().IsMatch(domain))
        {
            return ServiceError.Invalid("domain", "Enter a domain name such as example.com.");
        }

        if (providers.Find(provider) is null)
        {
            return ServiceError.Invalid("provider", "Choose one of the configured identity providers.");
        }

        if (!await domains.TryClaimAsync(new SsoDomainRow { Domain = domain, WorkspaceId = workspaceId, Provider = provider!, CreatedBy = actorUserId, CreatedAt = Now }, cancellationToken))
        {
            return ServiceError.Conflict("domain_claimed", $"{domain} is already claimed.");
        }

        await audit.WriteAsync(AuditEventTypes.SsoDomainClaimed, actorUserId, workspaceId, detail: new JsonObject { ["domain"] = domain, ["provider"] = provider }, cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>The operator's confirmation that the claiming workspace controls the domain. Null: no pending claim.</summary>
    public async Task<SsoDomainRow?> ConfirmAsync(string domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain = domain.Trim().ToLowerInvariant();
        if (!await domains.ConfirmAsync(domain, Now, cancellationToken))
        {
            return null;
        }

        var row = await domains.FindAsync(domain, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.SsoDomainConfirmed, null, row?.WorkspaceId, detail: new JsonObject { ["domain"] = domain, ["by"] = "operator" }, cancellationToken: cancellationToken);
        return row;
    }

    /// <summary>Require SSO and/or just-in-time membership (role, or null for none) for a confirmed domain.</summary>
    public async Task<ServiceError?> SetPolicyAsync(string workspaceId, string actorUserId, string? domain, bool requireSso, string? jitRole, CancellationToken cancellationToken)
    {
        jitRole = string.IsNullOrEmpty(jitRole) ? null : jitRole;
        // Just-in-time membership never makes owners: ownership is given by a person.
        if (jitRole is not (null or WorkspaceRoles.Member or WorkspaceRoles.Admin)
            && !(WorkspaceRoles.IsCustom(jitRole) && await workspaces.FindRoleAsync(workspaceId, jitRole, cancellationToken) is not null))
        {
            return ServiceError.Invalid("jit_role", "Choose member, admin or one of the workspace's roles.");
        }

        if (!await domains.SetPolicyAsync(workspaceId, domain?.Trim().ToLowerInvariant() ?? string.Empty, requireSso, jitRole, cancellationToken))
        {
            return ServiceError.NotFound("A confirmed domain");
        }

        await audit.WriteAsync(AuditEventTypes.SsoDomainPolicyChanged, actorUserId, workspaceId,
            detail: new JsonObject { ["domain"] = domain, ["require_sso"] = requireSso, ["jit_role"] = jitRole }, cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>
    /// Gives up a claimed domain (pending or confirmed): its addresses stop being sent to the provider, required single
    /// sign-on and just-in-time membership end with it, and another workspace may claim it. Not found when this
    /// workspace has no such claim (another workspace's claim looks the same).
    /// </summary>
    public async Task<ServiceError?> RemoveAsync(string workspaceId, string actorUserId, string? domain, string? ipAddress, CancellationToken cancellationToken)
    {
        domain = domain?.Trim().ToLowerInvariant() ?? string.Empty;
        var row = domain.Length is 0 or > 253 ? null : await domains.FindAsync(domain, cancellationToken);
        if (row is null || row.WorkspaceId != workspaceId || !await domains.RemoveAsync(workspaceId, domain, cancellationToken))
        {
            return ServiceError.NotFound("Domain");
        }

        await audit.WriteAsync(AuditEventTypes.SsoDomainRemoved, actorUserId, workspaceId, ipAddress: ipAddress, detail: new JsonObject
        {
            ["domain"] = domain, ["provider"] = row.Provider, ["was_confirmed"] = row.VerifiedAt is not null, ["required_sso"] = row.RequireSso,
        }, cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>
    /// Just-in-time membership: a person whose provider asserted a verified address at a confirmed domain of a workspace,
    /// signing in through that domain's provider, joins the workspace with its default role (if it gives one).
    /// </summary>
    public async Task ApplyJustInTimeMembershipAsync(ExternalIdentity identity, UserRow user, string? ipAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(user);
        if (!identity.EmailVerified
            || await FindVerifiedAsync(identity.Email, cancellationToken) is not { JitRole: { } role } row
            || !string.Equals(row.Provider, identity.Provider, StringComparison.Ordinal))
        {
            return;
        }

        if (await workspaces.AddMemberAsync(row.WorkspaceId, user.Id, role, Now, cancellationToken))
        {
            await audit.WriteAsync(AuditEventTypes.MemberJoined, user.Id, row.WorkspaceId, ipAddress: ipAddress,
                detail: new JsonObject { ["role"] = role, ["method"] = "sso_just_in_time", ["domain"] = row.Domain }, cancellationToken: cancellationToken);
        }
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();
}
