using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using static Latchkey.Server.Workspaces.WorkspaceAction;

namespace Latchkey.Server.Tests.Workspaces;

/// <summary>
/// The decision table (<see cref="AccessRules"/>), row by row, with no server and no database: the same
/// <see cref="PermissionMatrix"/> the API and page tests drive over HTTP, plus the policy rows (local use, device
/// sign-in), the owner protections and token rotation. Milliseconds for the whole class.
/// </summary>
public sealed class AccessRulesTests
{
    private const string OwnerId = "usr_owner";

    private static readonly WorkspaceRow Team = new() { Id = "ws_team", Name = "Team", PlanType = "team", LocalAccessEnabled = true, DeviceSignInEnabled = true };

    private static WorkspaceAccess? Actor(string actor, WorkspaceRow? workspace = null)
    {
        var ws = workspace ?? Team;
        CustomRoleRow Custom(string permissions) => new() { Id = "role_x", WorkspaceId = ws.Id, Name = "Custom", Permissions = permissions };
        return actor switch
        {
            "owner" => WorkspaceAccessService.From(ws, OwnerId, WorkspaceRoles.Owner, null),
            "admin" => WorkspaceAccessService.From(ws, "usr_admin", WorkspaceRoles.Admin, null),
            "member" => WorkspaceAccessService.From(ws, "usr_member", WorkspaceRoles.Member, null),
            "tokens" => WorkspaceAccessService.From(ws, "usr_tokens", "role_x", Custom(Permissions.CreateAccessTokens)),
            "auditor" => WorkspaceAccessService.From(ws, "usr_auditor", "role_x", Custom($"{Permissions.ReadAuditLog} {Permissions.ReadMembers}")),
            "outsider" => null,
            _ => throw new ArgumentOutOfRangeException(nameof(actor)),
        };
    }

    /// <summary>The matrix's actions as table questions, aimed where the HTTP tests aim them.</summary>
    private static (WorkspaceAction Action, AccessTarget Target) Question(string action) => action switch
    {
        "list_members" => (ListMembers, AccessTarget.None),
        "change_role" => (ChangeMemberRole, new AccessTarget { MemberRole = WorkspaceRoles.Member, GrantedRole = WorkspaceRoles.Admin }),
        "remove_member" => (RemoveMember, new AccessTarget { MemberRole = WorkspaceRoles.Member }),
        "invite" => (InviteMember, new AccessTarget { GrantedRole = WorkspaceRoles.Member }),
        "revoke_invitation" => (RevokeInvitation, AccessTarget.None),
        "list_roles" => (ListRoles, AccessTarget.None),
        "create_role" => (SaveRole, AccessTarget.None),
        "delete_role" => (DeleteRole, AccessTarget.None),
        "read_policies" => (ReadPolicies, AccessTarget.None),
        "change_policies" => (ChangePolicies, AccessTarget.None),
        "list_tokens" => (ListAccessTokens, AccessTarget.None),
        "create_token" => (CreateAccessToken, AccessTarget.None),
        "revoke_others_token" => (RevokeAccessToken, new AccessTarget { CredentialOwnerId = OwnerId }),
        "rotate_owners_token" => (RotateAccessToken, new AccessTarget { CredentialOwnerId = OwnerId }),
        "list_api_keys" => (ListApiKeys, AccessTarget.None),
        "create_api_key" => (CreateApiKey, AccessTarget.None),
        "revoke_api_key" => (RevokeApiKey, AccessTarget.None),
        "read_audit" or "export_audit" => (ReadAuditLog, AccessTarget.None),
        "rename_workspace" => (RenameWorkspace, AccessTarget.None),
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    [Theory]
    [MemberData(nameof(PermissionMatrix.Cells), MemberType = typeof(PermissionMatrix))]
    public void Matrix_cell(string action, string actor, string expected)
    {
        var (question, target) = Question(action);
        var decision = AccessRules.Decide(Actor(actor), question, target);
        var want = expected switch { "ok" => AccessOutcome.Allowed, "404" => AccessOutcome.Hidden, _ => AccessOutcome.Refused };
        Assert.True(decision.Outcome == want, $"{actor} {action}: {decision}");
        Assert.Equal(expected switch { "ok" => null, "404" => 404, _ => (int?)403 }, decision.ToError()?.Status);
    }

    [Theory]
    [InlineData("owner", true)]
    [InlineData("admin", false)]
    public void Only_an_owner_hands_out_or_takes_away_the_owner_role(string actor, bool allowed)
    {
        var access = Actor(actor)!;
        Assert.Equal(allowed, access.Decide(ChangeMemberRole, new AccessTarget { MemberRole = WorkspaceRoles.Member, GrantedRole = WorkspaceRoles.Owner }).IsAllowed);
        Assert.Equal(allowed, access.Decide(InviteMember, new AccessTarget { GrantedRole = WorkspaceRoles.Owner }).IsAllowed);
        Assert.Equal(allowed, access.Decide(RemoveMember, new AccessTarget { MemberRole = WorkspaceRoles.Owner }).IsAllowed);
        Assert.Equal(allowed, access.Decide(ChangeMemberRole, new AccessTarget { MemberRole = WorkspaceRoles.Owner, GrantedRole = WorkspaceRoles.Member }).IsAllowed);
    }

    /// <summary>ASVS 5.0 §8.2.2: a rotated token acts as its creator, so only the creator gets one; managers revoke.</summary>
    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    [InlineData("tokens")]
    public void Everyone_rotates_their_own_token_and_nobody_rotates_anyone_elses(string actor)
    {
        var access = Actor(actor)!;
        Assert.True(access.Decide(RotateAccessToken, new AccessTarget { CredentialOwnerId = access.UserId }).IsAllowed);
        var others = access.Decide(RotateAccessToken, AccessTarget.AnotherPersonsToken);
        Assert.False(others.IsAllowed);
        Assert.Equal(access.Has(Permissions.ManageAccessTokens), access.Decide(RevokeAccessToken, AccessTarget.AnotherPersonsToken).IsAllowed);
    }

    [Theory]
    [InlineData("owner", "member", "Allowed")]
    [InlineData("owner", "owner", "Allowed")]
    [InlineData("admin", "member", "Allowed")]
    [InlineData("admin", "owner", "Refused")]
    [InlineData("auditor", "member", "Refused")]
    [InlineData("member", "member", "Hidden")]
    [InlineData("outsider", "member", "Hidden")]
    public void Resetting_a_members_two_factor_is_for_managers_and_an_owners_only_for_owners(string actor, string targetRole, string outcome)
    {
        var decision = AccessRules.Decide(Actor(actor), ResetMemberMfa, new AccessTarget { MemberUserId = "usr_target", MemberRole = targetRole });
        Assert.Equal(Enum.Parse<AccessOutcome>(outcome), decision.Outcome);
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    public void Nobody_resets_the_two_factor_of_someone_who_belongs_to_another_workspace_too(string actor)
    {
        var decision = AccessRules.Decide(Actor(actor), ResetMemberMfa, new AccessTarget { MemberUserId = "usr_target", MemberRole = WorkspaceRoles.Member, MemberBelongsElsewhere = true });
        Assert.Equal(AccessOutcome.Refused, decision.Outcome);
        Assert.Contains("reset-mfa", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nobody_resets_their_own_two_factor_from_the_console()
    {
        var owner = Actor("owner")!;
        Assert.Equal(AccessOutcome.Refused, owner.Decide(ResetMemberMfa, new AccessTarget { MemberUserId = owner.UserId, MemberRole = WorkspaceRoles.Owner }).Outcome);
    }

    [Theory]
    [InlineData("owner", true)]
    [InlineData("admin", true)]
    [InlineData("auditor", false)]
    [InlineData("member", false)]
    public void Single_sign_on_settings_are_for_owners_and_admins(string actor, bool allowed)
        => Assert.Equal(allowed, Actor(actor)!.May(ManageSso));

    [Fact]
    public void Local_use_follows_the_policy_for_members_and_never_binds_owners_or_admins()
    {
        var off = Team with { LocalAccessEnabled = false };
        var denied = AccessRules.Decide(Actor("member", off), UseLocally);
        Assert.Equal(AccessOutcome.DeniedByPolicy, denied.Outcome);
        Assert.Equal(AccessRules.LocalAccessDisabledCode, denied.Code);
        // The exact sentence codex prints (codex-compat.md).
        Assert.Equal("403 - Unauthorized. Contact your workspace administrator for access.", denied.Message);
        Assert.True(AccessRules.Decide(Actor("member", Team), UseLocally).IsAllowed);
        Assert.True(AccessRules.Decide(Actor("admin", off), UseLocally).IsAllowed);
        Assert.True(AccessRules.Decide(Actor("owner", off), UseLocally).IsAllowed);
        // A custom role may grant local access back to some members.
        var granted = WorkspaceAccessService.From(off, "usr_x", "role_x", new CustomRoleRow { Id = "role_x", WorkspaceId = off.Id, Name = "Dev", Permissions = Permissions.LocalAccess });
        Assert.True(AccessRules.Decide(granted, UseLocally).IsAllowed);
        // A confidential web app is not "local use".
        Assert.True(AccessRules.Decide(Actor("member", off), UseLocally, new AccessTarget { LocalClient = false }).IsAllowed);
        Assert.Equal(AccessRules.NotAMemberCode, AccessRules.Decide(null, UseLocally).Code);
    }

    /// <summary>NIST SP 800-63B §5.2.5: with the policy on, only a sign-in that used a passkey (amr hwk, RFC 8176) gets tokens.</summary>
    [Fact]
    public void Phishing_resistant_policy_needs_a_passkey_sign_in_for_everyone_and_leaves_automation_alone()
    {
        var strict = Team with { RequirePasskey = true };
        foreach (var action in new[] { UseLocally, SignInWithDevice })
        {
            foreach (var actor in new[] { "member", "admin", "owner" })
            {
                var totp = AccessRules.Decide(Actor(actor, strict), action, new AccessTarget { SignInAmr = "pwd otp mfa" });
                Assert.Equal(AccessOutcome.DeniedByPolicy, totp.Outcome);
                Assert.Equal(AccessRules.PasskeyRequiredCode, totp.Code);
                Assert.Contains("requires a passkey", totp.Message, StringComparison.Ordinal);
                Assert.Equal(AccessRules.PasskeyRequiredCode, AccessRules.Decide(Actor(actor, strict), action, new AccessTarget { SignInAmr = "fed" }).Code);
                Assert.True(AccessRules.Decide(Actor(actor, strict), action, new AccessTarget { SignInAmr = "pwd hwk mfa" }).IsAllowed);
                Assert.True(AccessRules.Decide(Actor(actor, strict), action, new AccessTarget { SignInAmr = "hwk mfa" }).IsAllowed);
                // No sign-in asks (an automation token): the policy is about how people sign in.
                Assert.True(AccessRules.Decide(Actor(actor, strict), action).IsAllowed);
                // Off: any second factor will do.
                Assert.True(AccessRules.Decide(Actor(actor, Team), action, new AccessTarget { SignInAmr = "pwd otp mfa" }).IsAllowed);
            }
        }

        // Rows from before amr was stored count as password + code: not a passkey.
        Assert.Equal(AccessRules.PasskeyRequiredCode, AccessRules.Decide(Actor("member", strict), UseLocally, new AccessTarget { SignInAmr = "" }).Code);
    }

    [Fact]
    public void Device_sign_in_checks_the_persons_switch_then_the_workspace_then_local_access()
    {
        var mine = AccessRules.Decide(Actor("owner"), SignInWithDevice, new AccessTarget { DeviceSignInOffForAccount = true });
        Assert.Equal(AccessOutcome.DeniedByPolicy, mine.Outcome);
        Assert.Contains("for your account", mine.Message, StringComparison.Ordinal);

        var workspaceOff = AccessRules.Decide(Actor("owner", Team with { DeviceSignInEnabled = false }), SignInWithDevice);
        Assert.Equal(AccessRules.DeviceSignInDisabledCode, workspaceOff.Code);
        Assert.Contains("“Team”", workspaceOff.Message, StringComparison.Ordinal);

        Assert.Equal(AccessRules.LocalAccessDisabledCode, AccessRules.Decide(Actor("member", Team with { LocalAccessEnabled = false }), SignInWithDevice).Code);
        Assert.True(AccessRules.Decide(Actor("member"), SignInWithDevice).IsAllowed);
    }

    [Fact]
    public void Every_action_has_a_row_for_every_actor()
    {
        foreach (var action in Enum.GetValues<WorkspaceAction>())
        {
            Assert.False(string.IsNullOrEmpty(AccessRules.Noun(action)));
            foreach (var actor in PermissionMatrix.Actors)
            {
                var decision = AccessRules.Decide(Actor(actor), action, new AccessTarget { CredentialOwnerId = "usr_someone" });
                Assert.True(decision.IsAllowed || decision.ToError() is { Status: 403 or 404 }, $"{actor} {action}: {decision}");
            }
        }
    }

    [Fact]
    public void Outsiders_see_nothing_of_a_workspace()
    {
        foreach (var action in Enum.GetValues<WorkspaceAction>().Where(a => a is not (UseLocally or SignInWithDevice)))
        {
            Assert.Equal(AccessOutcome.Hidden, AccessRules.Decide(null, action, AccessTarget.AnotherPersonsToken).Outcome);
        }
    }
}
