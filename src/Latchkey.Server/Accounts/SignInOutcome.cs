namespace Latchkey.Server.Accounts;

public enum SignInOutcome
{
    /// <summary>Password accepted; the second factor is still needed (or must be enrolled).</summary>
    PasswordAccepted,

    /// <summary>Wrong email or password. The two are never told apart.</summary>
    Failed,
    LockedOut,

    /// <summary>The right password for an account an operator has disabled. Said only after the password is right.</summary>
    Disabled,
}
