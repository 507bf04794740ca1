namespace Latchkey.Server.Sso;

public enum ExternalSignInOutcome
{
    /// <summary>The identity is (now) linked to an account: sign that account in.</summary>
    SignedIn,

    /// <summary>An account has this address, but nothing vouches that this identity owns it: the person must prove the account.</summary>
    LinkRequired,

    /// <summary>No account, and none may be made (no verified email, or account creation is off for this provider).</summary>
    Refused,
}
