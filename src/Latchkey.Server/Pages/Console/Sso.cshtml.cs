using Latchkey.Server.Accounts;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

/// <summary>
/// Single sign-on for a workspace: claim an email domain (the operator confirms it), require SSO and just-in-time
/// membership for a confirmed one; see each member's sign-in methods and reset a member's MFA (audited).
/// </summary>
public sealed class SsoModel(SsoDomainService domains, SsoDomainRepository repository, SsoProviderDirectory providers, AccountService accounts) : ConsolePageModel
{
    public IReadOnlyList<SsoDomainRow> Domains { get; private set; } = [];

    public IReadOnlyList<MemberSignInMethodsRow> Members { get; private set; } = [];

    public IReadOnlyList<SsoProviderOptions> Providers => providers.All;

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ManageSso;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Asked == "remove" && Domains.FirstOrDefault(d => d.Domain == Request.Query["domain"]) is { } domain)
        {
            Confirm = new Confirmation("remove", $"Remove the domain {domain.Domain} from this workspace?",
                domain.VerifiedAt is null
                    ? "The claim is withdrawn; another workspace may claim the domain."
                    : "Its addresses are no longer sent to single sign-on" + (domain.RequireSso ? ", password sign-in is allowed for them again" : string.Empty)
                      + ", and nobody joins through it any more. Members keep their accounts and memberships. To use it again, claim it and ask the operator to confirm it.",
                "Remove domain", new Dictionary<string, string> { ["domain"] = domain.Domain });
        }
    }

    /// <summary>Removes a claimed domain after the page asked (a post without confirm=yes only asks).</summary>
    public async Task<IActionResult> OnPostRemoveAsync(string? domain, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "remove", ("domain", domain)) is { } ask)
        {
            return ask;
        }

        var refused = await domains.RemoveAsync(WorkspaceId, UserId, domain, Ip, cancellationToken);
        await LoadAsync(cancellationToken);
        return refused is null ? Done($"{domain?.Trim().ToLowerInvariant()} was removed from single sign-on.") : Refused(refused);
    }

    public async Task<IActionResult> OnPostClaimAsync(string? domain, string? provider, CancellationToken cancellationToken)
    {
        var refused = await domains.ClaimAsync(WorkspaceId, UserId, domain, provider, cancellationToken);
        await LoadAsync(cancellationToken);
        return refused is null
            ? Done($"{domain?.Trim().ToLowerInvariant()} is claimed. Ask your Latchkey operator to confirm it (confirm-sso-domain); until then it has no effect.")
            : Refused(refused);
    }

    public async Task<IActionResult> OnPostPolicyAsync(string? domain, [FromForm(Name = "require_sso")] string? requireSso, [FromForm(Name = "jit_role")] string? jitRole, CancellationToken cancellationToken)
    {
        var refused = await domains.SetPolicyAsync(WorkspaceId, UserId, domain, requireSso == "true", jitRole, cancellationToken);
        await LoadAsync(cancellationToken);
        return refused is null ? Done($"Single sign-on settings for {domain} saved.") : Refused(refused);
    }

    public async Task<IActionResult> OnPostResetMfaAsync([FromForm(Name = "user_id")] string? userId, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        var target = Members.FirstOrDefault(m => m.UserId == userId);
        if (target is null)
        {
            return Refused(ServiceError.NotFound("Member"));
        }

        if (Access.Decide(WorkspaceAction.ResetMemberMfa, new AccessTarget { MemberUserId = target.UserId, MemberRole = target.Role }).ToError() is { } refused)
        {
            return Refused(refused);
        }

        await accounts.ResetMfaAsync(target.UserId, UserId, WorkspaceId, Ip, cancellationToken);
        return Done($"Two-factor authentication of {target.Email} was reset; their sessions and CLI sign-ins have ended.");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Domains = await domains.ListAsync(WorkspaceId, cancellationToken);
        Members = await repository.ListMemberSignInMethodsAsync(WorkspaceId, cancellationToken);
    }
}
