using System.Globalization;
using System.Security.Claims;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.Authentication;

namespace Latchkey.Server.Web;

/// <summary>
/// What a request knows about the signed-in user. The session cookie itself carries only <see cref="SessionSecret"/>;
/// the other claims are filled in from the server-side session record on each request (<see cref="SessionCookieEvents"/>).
/// </summary>
public static class SessionClaims
{
    public const string UserId = "sub";
    public const string Email = "email";
    public const string AuthTime = "auth_time";
    public const string ReturnUrl = "return_url";

    /// <summary>The public id of the current web session (the Security page marks it "this session").</summary>
    public const string SessionId = "sid";

    /// <summary>The second factor used at sign-in (`totp` or `recovery_code`).</summary>
    public const string MfaMethod = "amr";

    /// <summary>How the session signed in: RFC 8176 `amr` values, space-separated.</summary>
    public const string Amr = "lk_amr";

    /// <summary>On the pending-MFA cookie: the first factor already proved (`pwd`, or `fed` after single sign-on).</summary>
    public const string FirstFactor = "lk_first_factor";

    /// <summary>The random secret in the cookie; only its SHA-256 digest is stored.</summary>
    public const string SessionSecret = "lk_session";

    public static string? GetUserId(ClaimsPrincipal user) => user?.FindFirst(UserId)?.Value;

    public static string? GetSessionId(ClaimsPrincipal user) => user?.FindFirst(SessionId)?.Value;

    public static string GetAmr(ClaimsPrincipal user) => user?.FindFirst(Amr)?.Value ?? AuthenticationMethods.Legacy;

    public static long GetAuthTime(ClaimsPrincipal user)
        => long.TryParse(user?.FindFirst(AuthTime)?.Value, out var t) ? t : 0;

    /// <summary>The user who has passed the password step but not yet the second factor, and where they were going.</summary>
    public static async Task<(UserRow? User, string? ReturnUrl)> GetPendingUserAsync(HttpContext context, UserRepository users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(users);
        var pending = await context.AuthenticateAsync(SessionSchemes.MfaPending);
        var userId = GetUserId(pending.Principal!);
        var user = pending.Succeeded && userId is not null ? await users.FindByIdAsync(userId, cancellationToken) : null;
        // Disabled between the password and the second factor: the half-finished sign-in ends here.
        return (user is { DisabledAt: null } ? user : null, pending.Principal?.FindFirst(ReturnUrl)?.Value);
    }

    /// <summary>The principal a live session stands for, built from its record.</summary>
    public static ClaimsPrincipal From(ValidWebSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var identity = new ClaimsIdentity(
            [
                new Claim(UserId, session.UserId),
                new Claim(Email, session.Email),
                new Claim(AuthTime, session.AuthTime.ToString(CultureInfo.InvariantCulture)),
                new Claim(SessionId, session.Id),
                new Claim(MfaMethod, session.MfaMethod),
                new Claim(Amr, session.Amr ?? AuthenticationMethods.Legacy),
            ],
            "session", UserId, null);
        return new ClaimsPrincipal(identity);
    }
}
