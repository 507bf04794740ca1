using Latchkey.Server.Common;
using Microsoft.AspNetCore.Authentication;

namespace Latchkey.Server.OAuth;

public static class CallerHttpExtensions
{
    /// <summary>
    /// The request's caller, resolved by the Bearer scheme on first ask and kept for the rest of the request. A 401
    /// refusal carries `WWW-Authenticate: Bearer` (RFC 6750 §3), with error="invalid_token" when a credential was sent
    /// (§3.1: none when the request had no credential at all).
    /// </summary>
    public static async Task<(Caller? Caller, ServiceError? Refusal)> GetCallerAsync(this HttpContext context, BearerUse use)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<CallerOutcome>() is null)
        {
            context.Features.Set(use);
            await context.AuthenticateAsync(BearerAuthenticationHandler.SchemeName);
        }

        var outcome = context.Features.Get<CallerOutcome>()!;
        if (outcome.Refusal is { Status: StatusCodes.Status401Unauthorized })
        {
            context.Response.Headers.WWWAuthenticate = outcome.CredentialPresented ? "Bearer realm=\"latchkey\", error=\"invalid_token\"" : "Bearer realm=\"latchkey\"";
        }

        return (outcome.Caller, outcome.Refusal);
    }
}
