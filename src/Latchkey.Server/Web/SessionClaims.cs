using System.Security.Claims;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.Authentication;

namespace Latchkey.Server.Web;

/// <summary>What the session cookie says about the signed-in user.</summary>
public static class SessionClaims
{
    public const string UserId = "sub";
    public const string Email = "email";
    public const string AuthTime = "auth_time";
    public const string ReturnUrl = "return_url";

    public static string? GetUserId(ClaimsPrincipal user) => user?.FindFirst(UserId)?.Value;

    public static long GetAuthTime(ClaimsPrincipal user)
        => long.TryParse(user?.FindFirst(AuthTime)?.Value, out var t) ? t : 0;

    /// <summary>The user who has passed the password step but not yet the second factor, and where they were going.</summary>
    public static async Task<(UserRow? User, string? ReturnUrl)> GetPendingUserAsync(HttpContext context, UserRepository users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(users);
        var pending = await context.AuthenticateAsync(SessionSchemes.MfaPending);
        var userId = pending.Succeeded ? GetUserId(pending.Principal!) : null;
        var user = userId is null ? null : await users.FindByIdAsync(userId, cancellationToken);
        return (user, pending.Principal?.FindFirst(ReturnUrl)?.Value);
    }

    /// <summary>Completes sign-in after both factors: issues the session cookie and drops the pending-MFA one.</summary>
    public static async Task SignInAsync(HttpContext context, string userId, string email, long authTimeMs)
    {
        ArgumentNullException.ThrowIfNull(context);
        var identity = new ClaimsIdentity(
            [new Claim(UserId, userId), new Claim(Email, email), new Claim(AuthTime, authTimeMs.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            "session", UserId, null);
        await context.SignOutAsync(SessionSchemes.MfaPending);
        await context.SignInAsync(SessionSchemes.Session, new ClaimsPrincipal(identity));
    }
}
