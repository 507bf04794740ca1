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
    public const string GrantCreated = "grant.created";
    public const string GrantRevoked = "grant.revoked";
    public const string AuthorizationCodeReplayed = "authorization_code.replayed";
    public const string RefreshTokenReuseDetected = "refresh_token.reuse_detected";
    public const string DeviceApproved = "device.approved";
    public const string DeviceDenied = "device.denied";
    public const string SigningKeyRotated = "signing_key.rotated";
}
