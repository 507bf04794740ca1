namespace Latchkey.Client;

/// <summary>What <see cref="LatchkeyClient.LogoutAsync"/> did.</summary>
public enum LogoutResult
{
    NotSignedIn,

    /// <summary>The grant was revoked at the server and the local credential deleted.</summary>
    RevokedAndRemoved,

    /// <summary>Nothing to revoke (API key or access token): the local credential was deleted.</summary>
    Removed,

    /// <summary>The server could not be reached: the local credential was deleted, the grant stays valid until it expires.</summary>
    RemovedServerUnreachable,

    /// <summary>The credential file was unreadable and has been deleted.</summary>
    RemovedUnreadable,
}
