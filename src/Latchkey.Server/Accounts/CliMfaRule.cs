using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Accounts;

/// <summary>
/// An account that has a password must have a second factor set up before it may use the CLI (or any local client),
/// however it signed in — a single-sign-on sign-in does not excuse the password that still opens the account
/// (ASVS 5.0 §6.3.3: every sign-in path of an account holds to the same strength). An account with no password
/// relies on its identity provider's MFA. Asked at sign-in, device approval and every token issuance.
/// </summary>
public sealed class CliMfaRule(UserRepository users)
{
    public const string Code = "mfa_required";

    public const string Message =
        "Your account has a password, so it needs two-factor authentication before the CLI may sign in. Set it up on the Security page (/account/security), then sign in again.";

    /// <summary>Null when the account may use local clients; otherwise the refusal.</summary>
    public async Task<ServiceError?> CheckAsync(string userId, CancellationToken cancellationToken)
        => Decide(await users.GetMfaStandingAsync(userId, cancellationToken));

    public static ServiceError? Decide(MfaStandingRow? standing) => standing switch
    {
        null => new ServiceError(StatusCodes.Status403Forbidden, "not_found", "The account no longer exists."),
        { HasPassword: true, HasMfa: false } => new ServiceError(StatusCodes.Status403Forbidden, Code, Message),
        _ => null,
    };

    /// <summary>The same decision from columns the caller already read (the refresh grant's one query).</summary>
    public static ServiceError? Decide(bool hasPassword, bool hasMfa)
        => Decide(new MfaStandingRow { HasPassword = hasPassword, HasTotp = hasMfa });
}
