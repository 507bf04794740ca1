namespace Latchkey.Server.Storage.Repositories;

public enum RefreshOutcome
{
    /// <summary>The token was current: consumed and replaced.</summary>
    Rotated,

    /// <summary>The immediately previous token, retried inside the grace window (a lost response): answered again.</summary>
    GraceRetry,

    /// <summary>A consumed token used again outside the grace window: the whole grant is now revoked.</summary>
    Reused,
    Expired,
    GrantRevoked,
    Unknown,
}
