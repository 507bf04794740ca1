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

    public async Task OnGetAsync(string? confirm, [FromQuery(Name = "user_id")] string? userId, string? domain, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (confirm == "resetMfa" && Members.FirstOrDefault(m => m.UserId == userId) is { } member && ResetDecision(member).IsAllowed)
        {
            Confirm = new Confirmation("resetMfa", $"Reset the two-factor authentication of {member.Email}?",
                "Their authenticator, passkeys and recovery codes stop working, every session and CLI sign-in of theirs ends, and they set up a new second factor at their next sign-in.",
                "Reset two-factor authentication", new Dictionary<string, string> { ["user_id"] = member.UserId });
        }
        else if (confirm == "remove" && Domains.FirstOrDefault(d => d.Domain == domain) is { } claimed)
        {
            Confirm = new Confirmation("remove", $"Remove the domain {claimed.Domain} from this workspace?",
                claimed.VerifiedAt is null
                    ? "The claim is withdrawn; another workspace may claim the domain."
                    : "Its addresses are no longer sent to single sign-on" + (claimed.RequireSso ? ", password sign-in is allowed for them again" : string.Empty)
                      + ", and nobody joins through it any more. Members keep their accounts and memberships. To use it again, claim it and ask the operator to confirm it.",
                "Remove domain", new Dictionary<string, string> { ["domain"] = claimed.Domain });
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

    public bool IsSelf(MemberSignInMethodsRow member) => member?.UserId == UserId;

    /// <summary>The decision for one member's row (the button shows only when it would be allowed).</summary>
    public AccessDecision ResetDecision(MemberSignInMethodsRow member)
    {
        ArgumentNullException.ThrowIfNull(member);
        return Access.Decide(WorkspaceAction.ResetMemberMfa, new AccessTarget { MemberUserId = member.UserId, MemberRole = member.Role, MemberBelongsElsewhere = member.OtherWorkspaces > 0 });
    }

    public async Task<IActionResult> OnPostResetMfaAsync([FromForm(Name = "user_id")] string? userId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "resetMfa", ("user_id", userId)) is { } ask)
        {
            return ask;
        }

        await LoadAsync(cancellationToken);
        var target = Members.FirstOrDefault(m => m.UserId == userId);
        if (target is null)
        {
            return Refused(ServiceError.NotFound("Member"));
        }

        if (ResetDecision(target).ToError() is { } refused)
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
