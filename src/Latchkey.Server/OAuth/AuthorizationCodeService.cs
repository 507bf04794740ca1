using Latchkey.Protocol.Tokens;
using Latchkey.Server.Configuration;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

public sealed class AuthorizationCodeService(IDbConnectionFactory db, AuthorizationCodeRepository codes, IOptions<LatchkeyServerOptions> options, TimeProvider time)
{
    /// <summary>Stores a code (as a digest) and returns the redirect that delivers it (RFC 6749 §4.1.2).</summary>
    public async Task<string> IssueAsync(AuthorizeRequest request, string userId, string workspaceId, long authTime, string? amr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string code;
        await using (var tx = await WriteTransaction.BeginAsync(db, cancellationToken))
        {
            code = await CreateCodeAsync(tx, request.Client.ClientId, userId, workspaceId, request.RedirectUri, request.CodeChallenge, request.Scope, request.Nonce, authTime, amr);
            await tx.CommitAsync();
        }

        return BuildRedirect(request.RedirectUri, request.State, ("code", code), ("iss", options.Value.ResolveIssuer()));
    }

    /// <summary>
    /// Stores a new single-use code (only its digest) bound to client, user, workspace, redirect URI and PKCE challenge,
    /// in the caller's transaction (Codex's device poll consumes its device code in the same one); returns the code.
    /// </summary>
    public async Task<string> CreateCodeAsync(
        WriteTransaction tx, string clientId, string userId, string workspaceId, string redirectUri, string codeChallenge, string scope, string? nonce, long authTime, string? amr)
    {
        var code = SecretDigest.NewOpaqueSecret();
        var now = time.GetUtcNow();
        await codes.CreateAsync(
            tx,
            new AuthorizationCodeRow
            {
                CodeHash = SecretDigest.Compute(code),
                ClientId = clientId,
                UserId = userId,
                WorkspaceId = workspaceId,
                RedirectUri = redirectUri,
                CodeChallenge = codeChallenge,
                Scope = scope,
                Nonce = nonce,
                AuthTime = authTime,
                Amr = amr,
                CreatedAt = now.ToUnixTimeMilliseconds(),
                ExpiresAt = (now + options.Value.Lifetimes.AuthorizationCode).ToUnixTimeMilliseconds(),
            });
        return code;
    }

    /// <summary>An error response to a verified redirect URI, with state and `iss` (RFC 9207).</summary>
    public string BuildErrorRedirect(string redirectUri, string? state, OAuthError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return BuildRedirect(redirectUri, state, ("error", error.Error), ("error_description", error.Description), ("iss", options.Value.ResolveIssuer()));
    }

    private static string BuildRedirect(string redirectUri, string? state, params (string Name, string Value)[] values)
    {
        var url = redirectUri;
        foreach (var (name, value) in values)
        {
            url = QueryHelpers.AddQueryString(url, name, value);
        }

        return state is null ? url : QueryHelpers.AddQueryString(url, "state", state);
    }
}
