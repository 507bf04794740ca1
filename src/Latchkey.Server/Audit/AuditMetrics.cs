using Latchkey.Server.Common;

namespace Latchkey.Server.Audit;

/// <summary>
/// Security events are already written once, to the audit log; counting them there keeps every metric in step with
/// the audit trail without a second call at each site.
/// </summary>
internal static class AuditMetrics
{
    public static void Count(string eventType)
    {
        switch (eventType)
        {
            case AuditEventTypes.SignInSucceeded: ServerMetrics.SignIn("succeeded"); break;
            case AuditEventTypes.SignInFailed: ServerMetrics.SignIn("failed"); break;
            case AuditEventTypes.SignInLockedOut: ServerMetrics.SignIn("locked_out"); break;
            case AuditEventTypes.MfaFailed: ServerMetrics.MfaFailed(); break;
            case AuditEventTypes.RefreshTokenReuseDetected: ServerMetrics.RefreshTokenReused(); break;
            case AuditEventTypes.AuthorizationCodeReplayed: ServerMetrics.AuthorizationCodeReplayed(); break;
            case AuditEventTypes.GrantRevoked: ServerMetrics.Revoked("grant"); break;
            case AuditEventTypes.AccessTokenRevoked: ServerMetrics.Revoked("access_token"); break;
            case AuditEventTypes.ApiKeyRevoked: ServerMetrics.Revoked("api_key"); break;
            case AuditEventTypes.DeviceApproved: ServerMetrics.DeviceFlow("approved"); break;
            case AuditEventTypes.DeviceDenied: ServerMetrics.DeviceFlow("denied"); break;
        }
    }
}
