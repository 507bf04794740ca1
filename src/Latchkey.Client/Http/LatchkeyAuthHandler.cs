using System.Net;
using System.Net.Http.Headers;

namespace Latchkey.Client.Http;

/// <summary>Attaches the Latchkey bearer; on a 401 refreshes once and retries (when the request can be resent).</summary>
public sealed class LatchkeyAuthHandler(AuthManager auth) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credential = await auth.GetCredentialAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || credential.Method != Credentials.LoginMethod.Workspace
            || request.Content is StreamContent)
        {
            return response;
        }

        // The server no longer accepts this token (revoked session, clock skew): refresh once and retry.
        var stored = await auth.LoadAsync(cancellationToken);
        var refreshed = await auth.RefreshAsync(stored?.Tokens?.RefreshToken, cancellationToken);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", refreshed.Tokens!.AccessToken);
        return await base.SendAsync(request, cancellationToken);
    }
}
