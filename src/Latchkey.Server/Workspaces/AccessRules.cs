using Latchkey.Server.Web;
using static Latchkey.Server.Workspaces.WorkspaceAction;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// The decision table: may this caller do this, here. Pure (no I/O, no clock), so every row is unit-tested in
/// milliseconds (AccessRulesTests) and the same answer reaches every surface: the JSON API, the console pages and their
/// navigation, the bearer front door, the OAuth grants and the device page. Hand-written because it is the product:
/// its shape (hidden vs refused vs denied by policy, owners protected, only a creator rotates) is Latchkey's own.
///
/// Three answers besides "allowed". Hidden (404) when the caller may not see that part of the workspace at all — the
/// same answer as for something that does not exist, so a member cannot map what they cannot open. Refused (403) when
/// they can see it but not do this. Denied by policy (403) when a workspace policy says no, with the sentence the
/// workspace shows; codex prints it verbatim.
/// </summary>
public static class AccessRules
{
    public const string NotAMemberCode = "not_a_member";
    public const string LocalAccessDisabledCode = "local_access_disabled";
    public const string DeviceSignInDisabledCode = "device_sign_in_disabled";
    public const string PasskeyRequiredCode = "phishing_resistant_mfa_required";

    public static AccessDecision Decide(WorkspaceAccess? caller, WorkspaceAction action, AccessTarget? target = null)
    {
        target ??= AccessTarget.None;
        if (action is UseLocally)
        {
            return LocalUse(caller, target);
        }

        if (action is SignInWithDevice)
        {
            return DeviceSignIn(caller, target);
        }

        if (caller is null)
        {
            return Hidden(action);
        }

        return action switch
        {
            ListMembers or ListRoles => See(caller, action, Permissions.ReadMembers) ?? AccessDecision.Allow,
            InviteMember => See(caller, action, Permissions.ReadMembers)
                ?? Do(caller, Permissions.ManageMembers, "Only owners and admins can invite members.")
                ?? OwnerRoleOnlyFromOwners(caller, target)
                ?? AccessDecision.Allow,
            ChangeMemberRole or RemoveMember => See(caller, action, Permissions.ReadMembers)
                ?? Do(caller, Permissions.ManageMembers, "Only owners and admins can change members.")
                ?? OwnerRoleOnlyFromOwners(caller, target)
                ?? OwnersOnlyChangedByOwners(caller, target)
                ?? AccessDecision.Allow,
            ListInvitations or RevokeInvitation => See(caller, action, Permissions.ManageMembers) ?? AccessDecision.Allow,
            SaveRole or DeleteRole => See(caller, action, Permissions.ReadMembers)
                ?? Do(caller, Permissions.ManageRoles, "Only owners and admins can define roles.")
                ?? AccessDecision.Allow,
            ReadPolicies or ChangePolicies => See(caller, action, Permissions.ManagePolicies) ?? AccessDecision.Allow,
            ListAccessTokens => caller.Has(Permissions.ManageAccessTokens) || caller.Has(Permissions.CreateAccessTokens) ? AccessDecision.Allow : Hidden(action),
            CreateAccessToken => See(caller, action, Permissions.CreateAccessTokens) ?? AccessDecision.Allow,
            RevokeAccessToken => TokenVisible(caller, action, target) ?? AccessDecision.Allow,
            // A rotated token authenticates as its creator: anyone else rotating it would be handed that person's
            // identity (ASVS 5.0 §8.2.2). Those who may see someone else's token may revoke it instead.
            RotateAccessToken => TokenVisible(caller, action, target)
                ?? (target.CredentialOwnerId == caller.UserId
                    ? AccessDecision.Allow
                    : Refused("Only the person who created an access token can rotate it, because the new token acts as them. Revoke it instead.")),
            ListApiKeys or CreateApiKey or RevokeApiKey => See(caller, action, Permissions.ManageApiKeys) ?? AccessDecision.Allow,
            ReadAuditLog => See(caller, action, Permissions.ReadAuditLog) ?? AccessDecision.Allow,
            ManageSso => See(caller, action, Permissions.ManagePolicies) ?? AccessDecision.Allow,
            // Resetting someone's factors changes that member: managers only, an owner's only by an owner, and never
            // one's own here (that is done on the Security page, after proving the factor). The factor belongs to the
            // account, not the workspace: an admin here must not strip the second factor that guards another
            // organisation's workspace (then sign in with a known password and enrol their own), so a person who
            // belongs elsewhere is reset by the server operator (`reset-mfa`).
            ResetMemberMfa => See(caller, action, Permissions.ReadMembers)
                ?? Do(caller, Permissions.ManageMembers, "Only owners and admins can reset a member's two-factor authentication.")
                ?? OwnersOnlyChangedByOwners(caller, target)
                ?? (target.MemberUserId == caller.UserId ? Refused("Reset your own two-factor authentication on your Security page.") : null)
                ?? (target.MemberBelongsElsewhere
                    ? Refused("This person also belongs to other workspaces, and their two-factor authentication guards those too. Ask your Latchkey operator to reset it (reset-mfa).")
                    : null)
                ?? AccessDecision.Allow,
            // Every member sees the name, so asking to change it is refused rather than hidden. Owners and admins
            // only, not a grantable permission: the name is what every member's CLI and codex show when choosing.
            RenameWorkspace => caller.IsAdministrator ? AccessDecision.Allow : Refused("Only owners and admins can rename the workspace."),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Every action needs a row in the decision table."),
        };
    }

    /// <summary>The noun a hidden answer names ("Member was not found."), so a 404 reads like one for a missing thing.</summary>
    public static string Noun(WorkspaceAction action) => action switch
    {
        ListMembers or InviteMember => "Members",
        ChangeMemberRole or RemoveMember or ResetMemberMfa => "Member",
        ListInvitations => "Invitations",
        RevokeInvitation => "Invitation",
        ListRoles or SaveRole => "Roles",
        DeleteRole => "Role",
        ReadPolicies or ChangePolicies => "Policies",
        ListAccessTokens or CreateAccessToken => "Access tokens",
        RevokeAccessToken or RotateAccessToken => "Access token",
        ListApiKeys or CreateApiKey => "API keys",
        RevokeApiKey => "API key",
        ReadAuditLog => "Audit log",
        ManageSso => "Single sign-on",
        RenameWorkspace => "Workspace",
        UseLocally or SignInWithDevice => "Workspace",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>
    /// "Allow members to use Latchkey locally": the CLI, Codex, the client library, `at-` tokens, the gateway. Then
    /// "Require phishing-resistant MFA": a CLI or app sign-in into such a workspace must have used a passkey (NIST SP
    /// 800-63B §5.2.5; amr `hwk`, RFC 8176), however strong its other factors were.
    /// </summary>
    private static AccessDecision LocalUse(WorkspaceAccess? caller, AccessTarget target) => caller switch
    {
        null => new AccessDecision(AccessOutcome.Refused, NotAMemberCode, "You are not a member of this workspace."),
        _ when target.LocalClient && !caller.Has(Permissions.LocalAccess)
            => new AccessDecision(AccessOutcome.DeniedByPolicy, LocalAccessDisabledCode, WorkspaceAccess.LocalAccessDeniedMessage),
        { Workspace.RequirePasskey: true } when target.SignInAmr is { } amr && !AuthenticationMethods.IsPhishingResistant(amr)
            => new AccessDecision(AccessOutcome.DeniedByPolicy, PasskeyRequiredCode,
                $"The workspace “{caller.Workspace.Name}” requires a passkey. Sign in with a passkey (add one on your Security page, /account/security), then try again."),
        _ => AccessDecision.Allow,
    };

    /// <summary>The person's own switch, the workspace's device sign-in policy, then local access.</summary>
    private static AccessDecision DeviceSignIn(WorkspaceAccess? caller, AccessTarget target)
    {
        if (target.DeviceSignInOffForAccount)
        {
            return new AccessDecision(AccessOutcome.DeniedByPolicy, DeviceSignInDisabledCode,
                "You have turned off device sign-in for your account (Security settings). Turn it back on there, or use the browser sign-in on the device.");
        }

        if (caller is { Workspace.DeviceSignInEnabled: false })
        {
            return new AccessDecision(AccessOutcome.DeniedByPolicy, DeviceSignInDisabledCode,
                $"Device sign-in is turned off for the workspace “{caller.Workspace.Name}” by its administrators. Use the browser sign-in on the device instead.");
        }

        return LocalUse(caller, target);
    }

    private static AccessDecision? See(WorkspaceAccess caller, WorkspaceAction action, string permission)
        => caller.Has(permission) ? null : Hidden(action);

    private static AccessDecision? Do(WorkspaceAccess caller, string permission, string refusal)
        => caller.Has(permission) ? null : Refused(refusal);

    private static AccessDecision? OwnerRoleOnlyFromOwners(WorkspaceAccess caller, AccessTarget target)
        => target.GrantedRole == WorkspaceRoles.Owner && !caller.IsOwner ? Refused("Only an owner can make someone an owner.") : null;

    private static AccessDecision? OwnersOnlyChangedByOwners(WorkspaceAccess caller, AccessTarget target)
        => target.MemberRole == WorkspaceRoles.Owner && !caller.IsOwner ? Refused("Only an owner can change or remove another owner.") : null;

    /// <summary>Everyone's tokens with access_tokens.manage; one's own with access_tokens.create; nobody else's.</summary>
    private static AccessDecision? TokenVisible(WorkspaceAccess caller, WorkspaceAction action, AccessTarget target)
    {
        var owner = target.CredentialOwnerId
            ?? throw new ArgumentException("A token action is decided for a known token: set CredentialOwnerId.", nameof(target));
        return caller.Has(Permissions.ManageAccessTokens) || (caller.Has(Permissions.CreateAccessTokens) && owner == caller.UserId)
            ? null
            : Hidden(action);
    }

    private static AccessDecision Hidden(WorkspaceAction action) => new(AccessOutcome.Hidden, "not_found", $"{Noun(action)} was not found.");

    private static AccessDecision Refused(string message) => new(AccessOutcome.Refused, "forbidden", message);
}
