using Latchkey.Client.Credentials;
using Latchkey.Client.OAuth;

namespace Latchkey.Client;

/// <summary>
/// Latchkey for an app, composed exactly as the `latchkey` CLI composes itself: the same config.toml and
/// administrator restrictions, the same credential store (file or OS keyring), the same refresh, and the same
/// run-start check of an `at-` access token with the server. Create one per process (or let
/// <see cref="LatchkeyServiceCollectionExtensions.AddLatchkeyClient"/> do it) and share it.
/// </summary>
public sealed class LatchkeyClient : ILatchkeyTokenSource, IDisposable
{
    private readonly HttpClient? ownedHttp;
    private readonly Lock gate = new();
    private (string Token, AccessTokenIdentity Identity)? checkedAccessToken;

    internal LatchkeyClient(AuthManager auth, HttpClient? ownedHttp)
    {
        Auth = auth;
        this.ownedHttp = ownedHttp;
        Check = new CredentialCheck(auth.OAuth.Http);
    }

    /// <summary>
    /// Composes a client from <paramref name="options"/>, config.toml, the managed config and the environment. Throws
    /// <see cref="LatchkeyException"/> with code <c>config_invalid</c> (naming the file and line) or
    /// <c>invalid_server_url</c>. <paramref name="httpClient"/> is used for the calls to the Latchkey server.
    /// </summary>
    public static LatchkeyClient Create(LatchkeyClientOptions? options = null, HttpClient? httpClient = null)
        => ClientComposition.Compose(options ?? new LatchkeyClientOptions(), httpClient, TimeProvider.System);

    /// <summary>The server sign-ins go to (explicit, `LATCHKEY_SERVER` or `server_url`), or null when none is set.</summary>
    public string? Server => Auth.Options.Server;

    /// <summary>Where the credential lives, e.g. "file (/home/me/.latchkey/auth.json)" or "keyring (…)".</summary>
    public string CredentialStore => Auth.Store.Description;

    internal AuthManager Auth { get; }

    internal CredentialCheck Check { get; }

    internal LatchkeyClientOptions Options => Auth.Options;

    /// <summary>
    /// The credential to send now: `LATCHKEY_ACCESS_TOKEN`/`LATCHKEY_API_KEY`, else the stored one (refreshed first
    /// when under 5 minutes remain). A credential the administrator's restrictions forbid is refused (a stored one is
    /// deleted); an `at-` access token is checked with the server once per client, and again after a 401.
    /// </summary>
    public async ValueTask<LatchkeyCredential> GetTokenAsync(CancellationToken cancellationToken)
    {
        var credential = await Auth.GetCredentialAsync(cancellationToken);
        return credential.Method == LoginMethod.AccessToken ? await CheckAccessTokenAsync(credential, cancellationToken) : credential;
    }

    /// <summary>
    /// The credential for the config.toml provider <c>[model_providers.<paramref name="providerId"/>]</c>: the
    /// Latchkey credential when it sets `requires_openai_auth`, the variable named by `env_key`, or null (none needed).
    /// </summary>
    public async Task<string?> GetProviderCredentialAsync(string providerId, CancellationToken cancellationToken)
    {
        var providers = Options.Config.ModelProviders;
        if (!providers.TryGetValue(providerId, out var provider))
        {
            var known = providers.Count == 0 ? "none are configured" : "configured: " + string.Join(", ", providers.Keys);
            throw new LatchkeyException(ErrorCodes.UnknownProvider, $"Unknown model provider '{providerId}' ({known}).");
        }

        if (provider.RequiresOpenAiAuth)
        {
            return (await GetTokenAsync(cancellationToken)).BearerToken;
        }

        if (provider.EnvKey is not { } variable)
        {
            return null;
        }

        var value = Options.Environment(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            var instructions = provider.EnvKeyInstructions is null ? string.Empty : " " + provider.EnvKeyInstructions;
            throw new LatchkeyException(ErrorCodes.ProviderKeyMissing, $"Model provider '{providerId}' needs the environment variable {variable}, which is missing or empty.{instructions}");
        }

        return value.Trim();
    }

    /// <summary>Revokes a sign-in at the server (RFC 7009) and deletes the stored credential.</summary>
    public Task<LogoutResult> LogoutAsync(CancellationToken cancellationToken) => Auth.LogoutAsync(cancellationToken);

    /// <summary>Checks an access token with <paramref name="server"/> (whoami) and the restrictions, then stores it.</summary>
    internal async Task<AccessTokenIdentity> LoginWithAccessTokenAsync(string server, string token, CancellationToken cancellationToken)
    {
        Auth.CheckLoginMethodAllowed(LoginMethod.AccessToken);
        AuthManager.ValidateSecretFormat(token, LoginMethod.AccessToken);
        var who = await Check.WhoAmIAsync(server, token, cancellationToken);
        Auth.CheckWorkspaceAllowed(who.WorkspaceId);
        await Auth.SaveAccessTokenAsync(token, who, server, cancellationToken);
        return who;
    }

    /// <summary>Checks an API key with <paramref name="server"/> (a revoked or unknown key is refused), then stores it.</summary>
    internal async Task LoginWithApiKeyAsync(string server, string apiKey, CancellationToken cancellationToken)
    {
        Auth.CheckLoginMethodAllowed(LoginMethod.ApiKey);
        AuthManager.ValidateSecretFormat(apiKey, LoginMethod.ApiKey);
        await Check.CheckApiKeyAsync(server, apiKey, cancellationToken);
        await Auth.SaveApiKeyAsync(apiKey, cancellationToken);
    }

    /// <summary>After a 401 the next use asks the server again (and fails with its reason when the token was revoked).</summary>
    internal void ForgetAccessTokenCheck()
    {
        lock (gate)
        {
            checkedAccessToken = null;
        }
    }

    /// <summary>The run-start check codex makes (whoami): revoked, expired, creator removed, local access off.</summary>
    private async Task<LatchkeyCredential> CheckAccessTokenAsync(LatchkeyCredential credential, CancellationToken cancellationToken)
    {
        // The configured server (explicit, LATCHKEY_SERVER, server_url) wins over the one stored at sign-in, as for every command.
        var server = Server ?? credential.Server;
        if (server is null)
        {
            // Nowhere to ask: the API it is sent to checks it at use.
            return credential;
        }

        AccessTokenIdentity? who;
        lock (gate)
        {
            who = checkedAccessToken is { } done && string.Equals(done.Token, credential.BearerToken, StringComparison.Ordinal) ? done.Identity : null;
        }

        if (who is null)
        {
            who = await Check.WhoAmIAsync(server, credential.BearerToken, cancellationToken);
            Auth.CheckWorkspaceAllowed(who.WorkspaceId);
            lock (gate)
            {
                checkedAccessToken = (credential.BearerToken, who);
            }
        }

        return credential with { WorkspaceId = who.WorkspaceId ?? credential.WorkspaceId, ExpiresAt = who.ExpiresAt, Server = server };
    }

    public void Dispose() => ownedHttp?.Dispose();
}
