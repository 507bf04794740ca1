using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>
/// The "Bearer" authentication scheme (RFC 6750 §2.1): reads the `Authorization: Bearer` header and resolves the
/// caller once per request through <see cref="CallerResolver"/>. It is not the default scheme, so pages (cookie
/// sessions) never pay for it; bearer endpoints ask for it through <see cref="CallerHttpExtensions.GetCallerAsync"/>.
/// </summary>
public sealed class BearerAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CallerResolver resolver)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var use = Context.Features.Get<BearerUse>() ?? BearerUse.Api;
        var header = Request.Headers.Authorization.ToString();
        var bearer = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var clientLabel = use.ClientLabel ?? (Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 100)] : null);
        var outcome = await resolver.ResolveAsync(bearer, use, clientLabel, Context.Connection.RemoteIpAddress?.ToString(), Context.RequestAborted);
        Context.Features.Set(outcome);
        if (outcome.Caller is not { } caller)
        {
            return outcome.CredentialPresented ? AuthenticateResult.Fail(outcome.Refusal!.Code) : AuthenticateResult.NoResult();
        }

        var identity = new ClaimsIdentity(
            [
                new Claim("sub", caller.UserId ?? caller.CredentialId),
                new Claim("workspace_id", caller.WorkspaceId),
                new Claim("credential_kind", caller.CredentialKind),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
