using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Workspaces;

/// <summary>
/// Members, invitations, custom roles and policies. Every method takes the acting member's
/// <see cref="WorkspaceAccess"/> and asks the decision table (<see cref="AccessRules"/>) before it reads or writes, so
/// the console and the JSON API cannot disagree.
/// </summary>
public sealed class WorkspaceAdminService(
    WorkspaceRepository workspaces,
    UserRepository users,
    AuditLog audit,
    IOptions<LatchkeyServerOptions> options,
    TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<ServiceResult<WorkspaceRow>> CreateWorkspaceAsync(string userId, string? name, string? ip, CancellationToken cancellationToken)
    {
        var (valid, error) = InputRules.Name(name, "Workspace name");
        if (error is not null)
        {
            return ServiceError.Invalid("name", error);
        }

        var workspace = new WorkspaceRow { Id = NewId("ws_"), Name = valid!, PlanType = "team", CreatedAt = Now };
        await workspaces.CreateAsync(workspace, userId, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.WorkspaceCreated, userId, workspace.Id, ipAddress: ip, detail: new JsonObject { ["name"] = workspace.Name }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((await workspaces.FindAsync(workspace.Id, cancellationToken))!);
    }

    public async Task<ServiceResult<IReadOnlyList<MemberRow>>> ListMembersAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.ListMembers).ToError() is { } refused)
        {
            return refused;
        }

        return ServiceResult.Ok(await workspaces.ListMembersAsync(actor.WorkspaceId, cancellationToken));
    }

    public async Task<ServiceResult<bool>> ChangeRoleAsync(WorkspaceAccess actor, string userId, string? role, string? ip, CancellationToken cancellationToken)
    {
        var check = await CheckMemberChangeAsync(actor, WorkspaceAction.ChangeMemberRole, userId, role, cancellationToken);
        if (check is not null)
        {
            return check;
        }

        var before = await workspaces.FindMembershipAsync(userId, actor.WorkspaceId, cancellationToken);
        var outcome = await workspaces.ChangeMemberAsync(actor.WorkspaceId, userId, role, Now, cancellationToken);
        if (outcome == MemberChange.NotMember)
        {
            return ServiceError.NotFound("Member");
        }

        if (outcome == MemberChange.LastOwner)
        {
            return ServiceError.Conflict("last_owner", "The workspace's last owner cannot be demoted. Make another member an owner first.");
        }

        await audit.WriteAsync(AuditEventTypes.RoleChanged, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["member_id"] = userId, ["from"] = before?.Role, ["to"] = role }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    public async Task<ServiceResult<bool>> RemoveMemberAsync(WorkspaceAccess actor, string userId, string? ip, CancellationToken cancellationToken)
    {
        var check = await CheckMemberChangeAsync(actor, WorkspaceAction.RemoveMember, userId, newRole: null, cancellationToken);
        if (check is not null)
        {
            return check;
        }

        var outcome = await workspaces.ChangeMemberAsync(actor.WorkspaceId, userId, null, Now, cancellationToken);
        if (outcome == MemberChange.NotMember)
        {
            return ServiceError.NotFound("Member");
        }

        if (outcome == MemberChange.LastOwner)
        {
            return ServiceError.Conflict("last_owner", "The workspace's last owner cannot be removed. Make another member an owner first.");
        }

        await audit.WriteAsync(AuditEventTypes.MemberRemoved, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["member_id"] = userId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    /// <summary>Who may change whom is the decision table's; here the target is found and the new role validated.</summary>
    private async Task<ServiceError?> CheckMemberChangeAsync(WorkspaceAccess actor, WorkspaceAction action, string userId, string? newRole, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(action).ToError() is { } refused)
        {
            return refused;
        }

        var target = await workspaces.FindMembershipAsync(userId, actor.WorkspaceId, cancellationToken);
        if (target is null)
        {
            return ServiceError.NotFound("Member");
        }

        if (newRole is not null)
        {
            var roleError = await ValidateRoleAsync(actor, newRole, cancellationToken);
            if (roleError is not null)
            {
                return roleError;
            }
        }

        return actor.Decide(action, new AccessTarget { MemberRole = target.Role, GrantedRole = newRole }).ToError();
    }

    private async Task<ServiceError?> ValidateRoleAsync(WorkspaceAccess actor, string? role, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(role))
        {
            return ServiceError.Invalid("role", "Choose a role.");
        }

        if (WorkspaceRoles.IsCustom(role))
        {
            return await workspaces.FindRoleAsync(actor.WorkspaceId, role, cancellationToken) is null
                ? ServiceError.Invalid("role", "That custom role does not exist in this workspace.")
                : null;
        }

        if (!WorkspaceRoles.IsBuiltIn(role))
        {
            return ServiceError.Invalid("role", "Role must be owner, admin, member or one of the workspace's custom roles.");
        }

        return null;
    }

    public async Task<ServiceResult<(InvitationRow Invitation, string Url)>> InviteAsync(WorkspaceAccess actor, string? email, string? role, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.InviteMember).ToError() is { } refused)
        {
            return refused;
        }

        string? normalizedEmail = null;
        if (!string.IsNullOrWhiteSpace(email))
        {
            if (!InputRules.LooksLikeEmail(email))
            {
                return ServiceError.Invalid("email", "Enter a valid email address, or leave it empty for a link anyone can use once.");
            }

            normalizedEmail = EmailAddress.Normalize(email);
        }

        role = string.IsNullOrEmpty(role) ? WorkspaceRoles.Member : role;
        var roleError = await ValidateRoleAsync(actor, role, cancellationToken)
            ?? actor.Decide(WorkspaceAction.InviteMember, new AccessTarget { GrantedRole = role }).ToError();
        if (roleError is not null)
        {
            return roleError;
        }

        var token = SecretDigest.NewOpaqueSecret();
        var now = Now;
        var invitation = new InvitationRow
        {
            Id = NewId("inv_"),
            TokenHash = SecretDigest.Compute(token),
            WorkspaceId = actor.WorkspaceId,
            Email = normalizedEmail,
            Role = role,
            CreatedBy = actor.UserId,
            CreatedAt = now,
            ExpiresAt = now + (long)options.Value.InvitationLifetime.TotalMilliseconds,
        };
        await workspaces.CreateInvitationAsync(invitation, cancellationToken);
        await audit.WriteAsync(AuditEventTypes.MemberInvited, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["invitation_id"] = invitation.Id, ["email"] = normalizedEmail, ["role"] = role }, cancellationToken: cancellationToken);
        return ServiceResult.Ok((invitation, $"{options.Value.ResolveIssuer()}/invite/{token}"));
    }

    public async Task<ServiceResult<IReadOnlyList<InvitationRow>>> ListInvitationsAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.ListInvitations).ToError() is { } refused)
        {
            return refused;
        }

        return ServiceResult.Ok(await workspaces.ListOpenInvitationsAsync(actor.WorkspaceId, Now, cancellationToken));
    }

    public async Task<ServiceResult<bool>> RevokeInvitationAsync(WorkspaceAccess actor, string invitationId, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.RevokeInvitation).ToError() is { } refused)
        {
            return refused;
        }

        if (!await workspaces.RevokeInvitationAsync(actor.WorkspaceId, invitationId, Now, cancellationToken))
        {
            return ServiceError.NotFound("Invitation");
        }

        await audit.WriteAsync(AuditEventTypes.InvitationRevoked, actor.UserId, actor.WorkspaceId, ipAddress: ip, detail: new JsonObject { ["invitation_id"] = invitationId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    /// <summary>The invitation behind a link, if it can still be used.</summary>
    public async Task<(InvitationRow? Invitation, WorkspaceRow? Workspace)> FindUsableInvitationAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return (null, null);
        }

        var invitation = await workspaces.FindInvitationByTokenAsync(SecretDigest.Compute(token), cancellationToken);
        if (invitation is null || invitation.AcceptedAt is not null || invitation.RevokedAt is not null || invitation.ExpiresAt <= Now)
        {
            return (null, null);
        }

        return (invitation, await workspaces.FindAsync(invitation.WorkspaceId, cancellationToken));
    }

    public async Task<ServiceResult<WorkspaceRow>> AcceptInvitationAsync(string? token, string userId, string? ip, CancellationToken cancellationToken)
    {
        var (invitation, workspace) = await FindUsableInvitationAsync(token, cancellationToken);
        if (invitation is null || workspace is null)
        {
            return ServiceError.NotFound("This invitation is no longer valid; it");
        }

        var user = await users.FindByIdAsync(userId, cancellationToken);
        if (user is null || (invitation.Email is not null && invitation.Email != user.NormalizedEmail))
        {
            return ServiceError.Forbidden($"This invitation is for {invitation.Email}. Sign in with that account to accept it.");
        }

        if (!await workspaces.AcceptInvitationAsync(invitation, userId, Now, cancellationToken))
        {
            return ServiceError.NotFound("This invitation is no longer valid; it");
        }

        await audit.WriteAsync(AuditEventTypes.MemberJoined, userId, workspace.Id, ipAddress: ip,
            detail: new JsonObject { ["invitation_id"] = invitation.Id, ["role"] = invitation.Role }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(workspace);
    }

    public async Task<ServiceResult<IReadOnlyList<CustomRoleRow>>> ListRolesAsync(WorkspaceAccess actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.ListRoles).ToError() is { } refused)
        {
            return refused;
        }

        return ServiceResult.Ok(await workspaces.ListRolesAsync(actor.WorkspaceId, cancellationToken));
    }

    /// <summary>Creates (<paramref name="roleId"/> null) or updates a custom role.</summary>
    public async Task<ServiceResult<CustomRoleRow>> SaveRoleAsync(WorkspaceAccess actor, string? roleId, string? name, IReadOnlyCollection<string>? permissions, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.SaveRole).ToError() is { } refused)
        {
            return refused;
        }

        CustomRoleRow? existing = null;
        if (roleId is not null && (existing = await workspaces.FindRoleAsync(actor.WorkspaceId, roleId, cancellationToken)) is null)
        {
            return ServiceError.NotFound("Role");
        }

        var (valid, error) = InputRules.Name(name, "Role name");
        if (error is not null)
        {
            return ServiceError.Invalid("name", error);
        }

        if (WorkspaceRoles.IsBuiltIn(valid!.ToLowerInvariant()))
        {
            return ServiceError.Invalid("name", $"'{valid}' is a built-in role; choose another name.");
        }

        var unknown = (permissions ?? []).Where(p => !Permissions.Grantable.Contains(p)).ToList();
        if (unknown.Count > 0)
        {
            return ServiceError.Invalid("permissions", $"Unknown or not grantable permission(s): {string.Join(", ", unknown)}. Grantable: {string.Join(", ", Permissions.Grantable)}.");
        }

        var role = new CustomRoleRow
        {
            Id = existing?.Id ?? NewId(WorkspaceRoles.CustomPrefix),
            WorkspaceId = actor.WorkspaceId,
            Name = valid,
            Permissions = string.Join(' ', Permissions.Grantable.Where(p => permissions?.Contains(p) == true)),
            CreatedAt = existing?.CreatedAt ?? Now,
        };
        if (!await workspaces.SaveRoleAsync(role, existing is null, cancellationToken))
        {
            return ServiceError.Invalid("name", $"A role named '{valid}' already exists.");
        }

        await audit.WriteAsync(AuditEventTypes.CustomRoleSaved, actor.UserId, actor.WorkspaceId, ipAddress: ip,
            detail: new JsonObject { ["role_id"] = role.Id, ["name"] = role.Name, ["permissions"] = role.Permissions }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(role);
    }

    public async Task<ServiceResult<bool>> DeleteRoleAsync(WorkspaceAccess actor, string roleId, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.DeleteRole).ToError() is { } refused)
        {
            return refused;
        }

        if (await workspaces.FindRoleAsync(actor.WorkspaceId, roleId, cancellationToken) is null)
        {
            return ServiceError.NotFound("Role");
        }

        if (!await workspaces.DeleteRoleAsync(actor.WorkspaceId, roleId, cancellationToken))
        {
            return ServiceError.Conflict("role_in_use", "Members still hold this role. Give them another role first.");
        }

        await audit.WriteAsync(AuditEventTypes.CustomRoleDeleted, actor.UserId, actor.WorkspaceId, ipAddress: ip, detail: new JsonObject { ["role_id"] = roleId }, cancellationToken: cancellationToken);
        return ServiceResult.Ok(true);
    }

    public ServiceResult<WorkspaceRow> GetPolicies(WorkspaceAccess actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Decide(WorkspaceAction.ReadPolicies).ToError() is { } refused ? refused : ServiceResult.Ok(actor.Workspace);
    }

    /// <summary>Applies a policy change; fields left null keep their value. All fields are validated before anything is written.</summary>
    public async Task<ServiceResult<WorkspaceRow>> UpdatePoliciesAsync(WorkspaceAccess actor, PolicyChange change, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(change);
        if (actor.Decide(WorkspaceAction.ChangePolicies).ToError() is { } refused)
        {
            return refused;
        }

        var errors = new Dictionary<string, string>();
        CheckDays(change.AccessTokenMaxDays, "access_token_max_days", 1, 3650, errors);
        CheckDays(change.AuditRetentionDays, "audit_retention_days", 1, 3650, errors);
        CheckDays(change.ApiUsageRetentionDays, "api_usage_retention_days", 1, 3650, errors);
        if (errors.Count > 0)
        {
            return new ServiceError(StatusCodes.Status400BadRequest, "validation_failed", string.Join(" ", errors.Values), errors);
        }

        var before = actor.Workspace;
        var after = before with
        {
            LocalAccessEnabled = change.LocalAccessEnabled ?? before.LocalAccessEnabled,
            DeviceSignInEnabled = change.DeviceSignInEnabled ?? before.DeviceSignInEnabled,
            MemberAccessTokensEnabled = change.MemberAccessTokensEnabled ?? before.MemberAccessTokensEnabled,
            AccessTokenMaxDays = change.AccessTokenMaxDays.HasValue ? NullIfZero(change.AccessTokenMaxDays.Value) : before.AccessTokenMaxDays,
            AuditRetentionDays = change.AuditRetentionDays.HasValue ? NullIfZero(change.AuditRetentionDays.Value) : before.AuditRetentionDays,
            ApiUsageRetentionDays = change.ApiUsageRetentionDays.HasValue ? NullIfZero(change.ApiUsageRetentionDays.Value) : before.ApiUsageRetentionDays,
            RequirePasskey = change.RequirePasskey ?? before.RequirePasskey,
        };
        await workspaces.UpdatePoliciesAsync(after, cancellationToken);
        var detail = new JsonObject();
        AddChange(detail, "local_access_enabled", before.LocalAccessEnabled, after.LocalAccessEnabled);
        AddChange(detail, "device_sign_in_enabled", before.DeviceSignInEnabled, after.DeviceSignInEnabled);
        AddChange(detail, "member_access_tokens_enabled", before.MemberAccessTokensEnabled, after.MemberAccessTokensEnabled);
        AddChange(detail, "access_token_max_days", before.AccessTokenMaxDays, after.AccessTokenMaxDays);
        AddChange(detail, "audit_retention_days", before.AuditRetentionDays, after.AuditRetentionDays);
        AddChange(detail, "api_usage_retention_days", before.ApiUsageRetentionDays, after.ApiUsageRetentionDays);
        AddChange(detail, "require_passkey", before.RequirePasskey, after.RequirePasskey);
        if (detail.Count > 0)
        {
            await audit.WriteAsync(AuditEventTypes.PolicyChanged, actor.UserId, actor.WorkspaceId, ipAddress: ip, detail: detail, cancellationToken: cancellationToken);
        }

        return ServiceResult.Ok(after);
    }

    private static void CheckDays(long? value, string field, long min, long max, Dictionary<string, string> errors)
    {
        // 0 means "no limit" / "server default".
        if (value is { } v && v != 0 && (v < min || v > max))
        {
            errors[field] = $"{field} must be between {min} and {max} days, or 0 for none.";
        }
    }

    private static long? NullIfZero(long value) => value == 0 ? null : value;

    private static void AddChange<T>(JsonObject detail, string name, T before, T after)
    {
        if (!EqualityComparer<T>.Default.Equals(before, after))
        {
            detail[name] = new JsonObject { ["from"] = JsonValue.Create(before), ["to"] = JsonValue.Create(after) };
        }
    }

    internal static string NewId(string prefix) => prefix + Base62.Encode(RandomNumberGenerator.GetBytes(12), 16);
}

/// <summary>A requested policy change. Null = unchanged; 0 for a number of days = no limit / server default.</summary>
public sealed record PolicyChange
{
    public bool? LocalAccessEnabled { get; init; }

    public bool? DeviceSignInEnabled { get; init; }

    public bool? MemberAccessTokensEnabled { get; init; }

    public long? AccessTokenMaxDays { get; init; }

    public long? AuditRetentionDays { get; init; }

    public long? ApiUsageRetentionDays { get; init; }

    public bool? RequirePasskey { get; init; }
}
