using Latchkey.Client.OAuth;
using Latchkey.Protocol.OAuth;

namespace Latchkey.Client.Login;

/// <summary>Authorization code + PKCE through the system browser and a loopback redirect (RFC 8252).</summary>
internal sealed class BrowserLogin(OAuthClient oauth, HttpClient http, IBrowserLauncher browser, ILoginUi ui)
{
    public int PreferredPort { get; init; } = LoopbackListener.PreferredPort;

    public async Task<TokenResponse> RunAsync(ServerMetadata server, string clientId, IReadOnlyList<string> allowedWorkspaceIds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(allowedWorkspaceIds);
        using var listener = await LoopbackListener.BindAsync(PreferredPort, http, cancellationToken);
        var verifier = Pkce.CreateVerifier();
        var state = Pkce.CreateVerifier();
        var query = new List<string>
        {
            "response_type=code",
            "client_id=" + Uri.EscapeDataString(clientId),
            "redirect_uri=" + Uri.EscapeDataString(listener.RedirectUri),
            "scope=" + Uri.EscapeDataString("openid profile email offline_access"),
            "code_challenge=" + Pkce.ComputeS256Challenge(verifier),
            "code_challenge_method=S256",
            "state=" + state,
        };
        if (allowedWorkspaceIds.Count > 0)
        {
            query.Add("allowed_workspace_id=" + Uri.EscapeDataString(string.Join(',', allowedWorkspaceIds)));
        }

        var url = server.AuthorizationEndpoint + "?" + string.Join('&', query);
        ui.ShowAuthorizeUrl(url, browser.TryOpen(url));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await listener.ServeAsync<TokenResponse>((request, ct) => HandleAsync(request, server, clientId, listener.RedirectUri, state, verifier, ct), deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LatchkeyException(ErrorCodes.LoginTimedOut, $"Sign-in timed out after {timeout.TotalMinutes:0} minutes. Run `latchkey login` again.");
        }
    }

    private async Task<LoopbackOutcome<TokenResponse>> HandleAsync(
        LoopbackRequest request, ServerMetadata server, string clientId, string redirectUri, string state, string verifier, CancellationToken ct)
    {
        switch (request.Path)
        {
            case LoopbackListener.CancelPath:
                return LoopbackOutcome.Fail<TokenResponse>(
                    new LoopbackResponse(200, "This sign-in was cancelled by a newer `latchkey login`."),
                    new LatchkeyException(ErrorCodes.LoginCancelled, "Sign-in cancelled: another `latchkey login` took over the callback port."));
            case "/auth/callback":
                break;
            default:
                return LoopbackOutcome.Continue<TokenResponse>(new LoopbackResponse(404, "Not found."));
        }

        // RFC 6749 §10.12: a callback without our state is not ours (CSRF); answer 400 and keep waiting for the real one.
        if (!request.Query.TryGetValue("state", out var returned) || !Protocol.Tokens.SecretDigest.FixedTimeEquals(returned, state))
        {
            return LoopbackOutcome.Continue<TokenResponse>(new LoopbackResponse(400, "This sign-in link is not the one Latchkey is waiting for.", "Sign-in not recognised"));
        }

        if (request.Query.TryGetValue("error", out var error))
        {
            var description = request.Query.GetValueOrDefault("error_description") ?? error;
            return LoopbackOutcome.Fail<TokenResponse>(
                new LoopbackResponse(200, description, "Sign-in failed"),
                new LatchkeyException(ErrorCodes.LoginFailed, $"Sign-in failed: {description}"));
        }

        if (!request.Query.TryGetValue("code", out var code) || code.Length == 0)
        {
            return LoopbackOutcome.Continue<TokenResponse>(new LoopbackResponse(400, "The callback carries no code.", "Sign-in not recognised"));
        }

        try
        {
            var tokens = await oauth.ExchangeCodeAsync(server, clientId, code, redirectUri, verifier, ct);
            return LoopbackOutcome.Done(new LoopbackResponse(200, "You are signed in. You can close this window and return to your terminal.", "Signed in to Latchkey"), tokens);
        }
        catch (LatchkeyException ex)
        {
            return LoopbackOutcome.Fail<TokenResponse>(new LoopbackResponse(200, ex.Message, "Sign-in failed"), ex);
        }
    }
}
