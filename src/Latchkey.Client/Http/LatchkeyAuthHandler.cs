using System.Net;
using System.Net.Http.Headers;
using Latchkey.Client.Credentials;

namespace Latchkey.Client;

/// <summary>
/// For typed and named `HttpClient`s: attaches the Latchkey bearer from <see cref="LatchkeyClient"/>. On a 401 a
/// sign-in is refreshed once and the request retried (when its body can be sent again); an access token is checked
/// with the server again on the next request, so a revoked one fails with the server's reason.
/// </summary>
public sealed class LatchkeyAuthHandler(LatchkeyClient client) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credential = await client.GetTokenAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        if (credential.Method == LoginMethod.AccessToken)
        {
            client.ForgetAccessTokenCheck();
        }

        if (credential.Method != LoginMethod.Workspace || request.Content is StreamContent)
        {
            return response;
        }

        // The server no longer accepts this token (revoked session, clock skew): refresh once and retry.
        var stored = await client.Auth.LoadAsync(cancellationToken);
        var refreshed = await client.Auth.RefreshAsync(stored?.Tokens?.RefreshToken, cancellationToken);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", refreshed.Tokens!.AccessToken);
        return await base.SendAsync(request, cancellationToken);
    }
}
