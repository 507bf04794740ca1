namespace Latchkey.Client.OAuth;

public enum RefreshFailureReason
{
    Expired,
    Reused,
    Revoked,
    Other,
}
