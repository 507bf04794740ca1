using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.OAuth;
using Latchkey.Server.Workspaces;
using Latchkey.Server.Web;

namespace Latchkey.Server.Api;

/// <summary>
/// Who is calling the JSON API: a Latchkey access JWT (from a sign-in or a token exchange) or an automation access
/// token (`at-…`, which takes the run-start check). Either is tied to one user and one workspace. The API takes
/// no cookies, so there is nothing for a cross-site request to ride on.
/// </summary>
public sealed record ApiCaller(string UserId, string WorkspaceId, string CredentialKind)
{
    public static async Task<(ApiCaller? Caller, IResult? Problem)> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bearer = BearerToken.From(context.Request);
        var cancellationToken = context.RequestAborted;
        var kind = CredentialKinds.Classify(bearer);
        switch (kind)
        {
            case CredentialKinds.SignIn:
                var validated = await context.RequestServices.GetRequiredService<AccessTokenValidator>().ValidateAsync(bearer, cancellationToken);
                var workspace = validated?.Claims[ClaimNames.CodexAuth]?[ClaimNames.CodexAccountId]?.GetValue<string>();
                if (validated is null || workspace is null)
                {
                    return (null, Unauthorized("invalid_token", "The access token is invalid, expired or revoked. Sign in again."));
                }

                return (new ApiCaller(validated.Grant.UserId, workspace, kind), null);
            case CredentialKinds.AccessToken:
                var ip = context.Connection.RemoteIpAddress?.ToString();
                var use = await context.RequestServices.GetRequiredService<AccessTokenService>().AuthenticateAsync(bearer, "api", ip, "api", recordUse: true, cancellationToken);
                if (!use.Succeeded)
                {
                    return (null, Challenge(context, ApiResults.Problem(use.Error!)));
                }

                return (new ApiCaller(use.Value!.User.Id, use.Value.Token.WorkspaceId, kind), null);
            case CredentialKinds.ApiKey:
                return (null, Unauthorized("wrong_credential_type", "API keys (sk-lk-…) are for the model gateway. The workspace API takes a sign-in access token or an access token (at-…)."));
            default:
                return (null, Unauthorized("unauthorized", "Send `Authorization: Bearer <token>`: a sign-in access token or an access token (at-…)."));
        }

        IResult Unauthorized(string code, string message) => Challenge(context, ApiResults.Problem(StatusCodes.Status401Unauthorized, code, message));
    }

    private static IResult Challenge(HttpContext context, IResult problem)
    {
        // RFC 6750 §3: a 401 names the scheme.
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\"";
        return problem;
    }
}
