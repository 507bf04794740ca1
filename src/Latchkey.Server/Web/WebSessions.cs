using System.Security.Claims;
using System.Security.Cryptography;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Web;

/// <summary>
/// Server-side web sessions (ASVS 5.0 §7.2, §7.4.1). Sign-in creates a record and gives the browser only a random
/// secret; every request looks the secret's digest up, so a session that was ended — by logout, by the user on the
/// Security page, by a password change — is refused at once, including any copy of its cookie.
/// </summary>
public sealed class WebSessions(WebSessionRepository sessions, IOptions<LatchkeyServerOptions> options, TimeProvider time)
{
    /// <summary>Last-seen time and address are written at most this often per session, so requests stay reads.</summary>
    public static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Completes sign-in after both factors: ends any session this browser already had (a new sign-in gets a new
    /// session id, ASVS 5.0 §7.2.4), stores the new session, issues its cookie and drops the pending-MFA one.
    /// </summary>
    /// <remarks>
    /// <paramref name="firstFactor"/> is the amr of the first step; by default the one the pending-MFA cookie names
    /// (`pwd` after a password, `fed` after single sign-on).
    /// </remarks>
    public async Task SignInAsync(HttpContext context, string userId, long authTimeMs, string mfaMethod, CancellationToken cancellationToken, string? firstFactor = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (firstFactor is null)
        {
            var pending = await context.AuthenticateAsync(SessionSchemes.MfaPending);
            firstFactor = pending.Principal?.FindFirst(SessionClaims.FirstFactor)?.Value ?? AuthenticationMethods.Password;
        }

        var previous = await context.AuthenticateAsync(SessionSchemes.Session);
        if (previous.Succeeded && SessionClaims.GetSessionId(previous.Principal!) is { } previousId && SessionClaims.GetUserId(previous.Principal!) is { } previousUser)
        {
            await sessions.EndAsync(previousId, previousUser, "replaced", Now, cancellationToken);
        }

        var secret = SecretDigest.NewOpaqueSecret();
        var now = time.GetUtcNow();
        await sessions.CreateAsync(new WebSessionRow
        {
            Id = "sess_" + Base62.Encode(RandomNumberGenerator.GetBytes(16), 22),
            TokenHash = SecretDigest.Compute(secret),
            UserId = userId,
            CreatedAt = now.ToUnixTimeMilliseconds(),
            ExpiresAt = (now + options.Value.Lifetimes.Session).ToUnixTimeMilliseconds(),
            LastSeenAt = now.ToUnixTimeMilliseconds(),
            AuthTime = authTimeMs,
            MfaMethod = mfaMethod,
            Amr = AuthenticationMethods.Combine(firstFactor, mfaMethod),
            Device = UserAgentSummary.Describe(context.Request.Headers.UserAgent.ToString()),
            IpAddress = context.Connection.RemoteIpAddress?.ToString(),
        }, cancellationToken);

        await context.SignOutAsync(SessionSchemes.MfaPending);
        var cookie = new ClaimsPrincipal(new ClaimsIdentity([new Claim(SessionClaims.SessionSecret, secret)], "session"));
        await context.SignInAsync(SessionSchemes.Session, cookie, new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + options.Value.Lifetimes.Session });
    }

    /// <summary>The principal for a cookie's secret, or null when its session is unknown, ended or expired. Notes the visit (throttled).</summary>
    public async Task<ClaimsPrincipal?> ValidateAsync(string? secret, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(secret) || secret.Length > 100)
        {
            return null;
        }

        var now = Now;
        var session = await sessions.FindValidAsync(SecretDigest.Compute(secret), now, cancellationToken);
        if (session is null)
        {
            return null;
        }

        var seenAfter = now - (long)LastSeenResolution.TotalMilliseconds;
        if (session.LastSeenAt <= seenAfter)
        {
            await sessions.TouchAsync(session.Id, now, seenAfter, context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        }

        return SessionClaims.From(session);
    }

    /// <summary>Ends the request's own session (logout) and removes its cookie.</summary>
    public async Task SignOutAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var current = await context.AuthenticateAsync(SessionSchemes.Session);
        if (current.Succeeded && SessionClaims.GetSessionId(current.Principal!) is { } id && SessionClaims.GetUserId(current.Principal!) is { } userId)
        {
            await sessions.EndAsync(id, userId, "signed_out", Now, cancellationToken);
        }

        await context.SignOutAsync(SessionSchemes.Session);
        await context.SignOutAsync(SessionSchemes.MfaPending);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();
}
