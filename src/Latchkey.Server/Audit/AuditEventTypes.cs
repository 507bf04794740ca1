namespace Latchkey.Server.Audit;

/// <summary>Stable names of audit events. Dashboards and exports depend on them: add, never rename.</summary>
public static class AuditEventTypes
{
    public const string SetupCompleted = "setup.completed";
    public const string SignInSucceeded = "sign_in.succeeded";
    public const string SignInFailed = "sign_in.failed";
    public const string SignInLockedOut = "sign_in.locked_out";
    public const string MfaEnrolled = "mfa.enrolled";
    public const string MfaFailed = "mfa.failed";
    public const string RecoveryCodeUsed = "mfa.recovery_code_used";
    public const string SignedOut = "sign_out";
    public const string EmailVerified = "user.email_verified";
    public const string AccountDisabled = "user.disabled";
    public const string AccountEnabled = "user.enabled";
    public const string GrantCreated = "grant.created";
    public const string GrantRevoked = "grant.revoked";
    public const string AuthorizationCodeReplayed = "authorization_code.replayed";
    public const string RefreshTokenReuseDetected = "refresh_token.reuse_detected";
    public const string DeviceApproved = "device.approved";
    public const string DeviceDenied = "device.denied";
    public const string SigningKeyRotated = "signing_key.rotated";
    public const string WorkspaceCreated = "workspace.created";
    public const string MemberInvited = "member.invited";
    public const string InvitationRevoked = "member.invitation_revoked";
    public const string MemberJoined = "member.joined";
    public const string RoleChanged = "member.role_changed";
    public const string MemberRemoved = "member.removed";
    public const string CustomRoleSaved = "role.saved";
    public const string CustomRoleDeleted = "role.deleted";
    public const string PolicyChanged = "policy.changed";
    public const string AccessTokenCreated = "access_token.created";
    public const string AccessTokenUsed = "access_token.used";
    public const string AccessTokenRefused = "access_token.refused";
    public const string AccessTokenRevoked = "access_token.revoked";
    public const string AccessTokenRotated = "access_token.rotated";
    public const string ApiKeyCreated = "api_key.created";
    public const string ApiKeyRevoked = "api_key.revoked";
    public const string LocalAccessDenied = "local_access.denied";
    public const string PasswordChanged = "account.password_changed";
    public const string RecoveryCodesRegenerated = "mfa.recovery_codes_regenerated";
    public const string DeviceSignInSettingChanged = "account.device_sign_in_changed";
    public const string GatewayRequest = "gateway.request";
    public const string WebSessionEnded = "session.ended";
    public const string SignedOutEverywhere = "sessions.ended";
    public const string SsoIdentityLinked = "sso.identity_linked";
    public const string SsoAccountCreated = "sso.account_created";
    public const string SsoLinkRequired = "sso.link_required";
    public const string SsoRefused = "sso.refused";
    public const string SsoPasswordRefused = "sso.password_refused";
    public const string SsoDomainClaimed = "sso.domain_claimed";
    public const string SsoDomainConfirmed = "sso.domain_confirmed";
    public const string SsoDomainPolicyChanged = "sso.domain_policy_changed";
    public const string MfaReset = "mfa.reset";
    public const string PasskeyAdded = "passkey.added";
    public const string PasskeyRemoved = "passkey.removed";
    public const string MfaRequiredRefusal = "mfa.required_refusal";
}
