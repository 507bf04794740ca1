namespace Latchkey.Client.OAuth;

internal enum RefreshFailureReason
{
    Expired,
    Reused,
    Revoked,
    Other,
}
