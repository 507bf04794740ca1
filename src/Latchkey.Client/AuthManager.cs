using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;
using Latchkey.Client.OAuth;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Client;

/// <summary>
/// Hands out the signed-in credential, refreshing it first when the access token is close to expiry. Refresh runs
/// under a cross-process lock and re-reads the store after taking it, so N processes starting at once cause one
/// refresh: the rest find the new tokens already saved.
/// </summary>
internal sealed class AuthManager(ICredentialStore store, OAuthClient oauth, LatchkeyClientOptions options, TimeProvider time)
{
    private static readonly TimeSpan OpaqueTokenMaxAge = TimeSpan.FromDays(8);
    private const int MaxRefreshAttempts = 8;

    public ICredentialStore Store => store;

    public LatchkeyClientOptions Options => options;

    public OAuthClient OAuth => oauth;

    /// <summary>A token this close to expiry is not handed out on the "server unreachable" path: it would die in flight.</summary>
    private static readonly TimeSpan ExpirySafety = TimeSpan.FromSeconds(10);

    private string RefreshLockPath => Path.Combine(options.HomeOrDefault, "refresh.lock");

    public Task<AuthDotJson?> LoadAsync(CancellationToken cancellationToken) => store.LoadAsync(cancellationToken);

    /// <summary>The credential to send now; refreshed first if needed. Environment credentials win and are never stored.</summary>
    public async Task<LatchkeyCredential> GetCredentialAsync(CancellationToken cancellationToken)
    {
        if (EnvironmentCredential() is { } fromEnv)
        {
            CheckLoginMethodAllowed(fromEnv.Method);
            return fromEnv;
        }

        var auth = await EnforceRestrictionsAsync(cancellationToken) ?? throw NotSignedIn();
        switch (auth.Method)
        {
            case LoginMethod.ApiKey:
                return new LatchkeyCredential(LoginMethod.ApiKey, auth.ApiKey!, null, null);
            case LoginMethod.AccessToken:
                var provenance = auth.Tokens?.Provenance;
                return new LatchkeyCredential(LoginMethod.AccessToken, auth.PersonalAccessToken!, auth.Tokens?.AccountId, provenance?.ExpiresAtTime, provenance?.Issuer);
        }

        if (NeedsRefresh(auth))
        {
            try
            {
                auth = await RefreshAsync(auth.Tokens?.RefreshToken, cancellationToken);
            }
            catch (LatchkeyException ex) when (ex.Code == ErrorCodes.ServerUnreachable
                && TokenClaims.GetExpiry(auth.Tokens?.AccessToken) is { } expiry && expiry > time.GetUtcNow() + ExpirySafety)
            {
                // A proactive refresh is an optimisation: while the server is briefly away, a token with time left still works.
            }
        }

        return ToCredential(auth);
    }

    /// <summary>
    /// Refreshes unless another process already did since <paramref name="staleRefreshToken"/> was read.
    /// Pass null to force a refresh of whatever is stored (e.g. after a 401).
    /// </summary>
    public async Task<AuthDotJson> RefreshAsync(string? staleRefreshToken, CancellationToken cancellationToken)
    {
        FileCredentialStore.EnsurePrivateDirectory(options.HomeOrDefault);
        using var held = await AcquireRefreshLockAsync(staleRefreshToken, cancellationToken);
        if (held is null)
        {
            return (await store.LoadAsync(cancellationToken))!; // another process refreshed while we waited
        }

        var current = await store.LoadAsync(cancellationToken) ?? throw NotSignedIn();
        var tokens = current.Tokens;
        if (tokens?.RefreshToken is null)
        {
            throw new LatchkeyException(ErrorCodes.NotSignedIn, "This sign-in cannot be refreshed. Run `latchkey login`.");
        }

        if (staleRefreshToken is not null && !string.Equals(tokens.RefreshToken, staleRefreshToken, StringComparison.Ordinal))
        {
            return current; // someone refreshed while we waited for the lock
        }

        var issuer = tokens.Provenance?.Issuer ?? options.Server
            ?? throw new LatchkeyException(ErrorCodes.NoServer, "The stored sign-in does not name its server. Run `latchkey login --server <url>`.");
        var clientId = tokens.Provenance?.ClientId ?? options.ClientId;
        var fresh = await RefreshWithRetriesAsync(issuer, clientId, tokens.RefreshToken, cancellationToken);

        // Codex rule: a reply may omit any of the three tokens; missing ones are kept.
        tokens.AccessToken = fresh.AccessToken ?? tokens.AccessToken;
        tokens.RefreshToken = fresh.RefreshToken ?? tokens.RefreshToken;
        tokens.IdToken = fresh.IdToken ?? tokens.IdToken;
        current.LastRefresh = AuthDotJson.FormatTimestamp(time.GetUtcNow());

        // The server has consumed the old refresh token: the answer is saved whatever happens to the caller now
        // (Ctrl+C included), or the next run would present a consumed token and, past the retry window, lose the sign-in.
        await store.SaveAsync(current, CancellationToken.None);
        return current;
    }

    /// <summary>
    /// One refresh, retried with the same refresh token while the failure leaves it unknown whether the server
    /// rotated (network error, timeout, 5xx, a server restarting): the server answers such a retry with the same
    /// successor inside its retry window (60 s), so the retries stop well inside it (<see cref="LatchkeyClientOptions.RefreshRetryBudget"/>).
    /// A request, once sent, is not cancelled: its answer may be the only copy of the new refresh token.
    /// </summary>
    private async Task<TokenResponse> RefreshWithRetriesAsync(string issuer, string clientId, string refreshToken, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await oauth.RefreshAsync(issuer, clientId, refreshToken, CancellationToken.None);
            }
            catch (RefreshFailedException ex) when (!ex.IsPermanent && attempt < MaxRefreshAttempts && time.GetUtcNow() - started + delay < options.RefreshRetryBudget)
            {
                await Task.Delay(delay, time, cancellationToken);
                delay *= 2;
            }
        }
    }

    /// <summary>
    /// The refresh lock, or null once another process has saved a fresh credential while this one waited. Waiting
    /// processes look at the store between short attempts instead of queueing for the lock only to re-read it: 32
    /// processes at once on a busy machine otherwise took over a minute to pass the lock one by one, and gave up.
    /// </summary>
    private async Task<FileLock?> AcquireRefreshLockAsync(string? staleRefreshToken, CancellationToken cancellationToken)
    {
        // The holder may be refreshing with retries (up to RefreshRetryBudget, each request up to 20 s) and must not be
        // given up on meanwhile; a holder that dies releases the lock at once (flock), so waiting long costs nothing.
        var timeout = options.RefreshRetryBudget + TimeSpan.FromSeconds(45);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            try
            {
                return await FileLock.AcquireAsync(RefreshLockPath, TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (LatchkeyException ex) when (ex.Code == ErrorCodes.LockTimeout && time.GetUtcNow() < deadline)
            {
                // Saves are atomic renames, so reading without the lock sees the old or the new credential.
                if (staleRefreshToken is not null && await store.LoadAsync(cancellationToken) is { } stored
                    && !string.Equals(stored.Tokens?.RefreshToken, staleRefreshToken, StringComparison.Ordinal) && !NeedsRefresh(stored))
                {
                    return null;
                }
            }
            catch (LatchkeyException ex) when (ex.Code == ErrorCodes.LockTimeout)
            {
                throw new LatchkeyException(ErrorCodes.LockTimeout, $"Another Latchkey process holds {RefreshLockPath}; gave up after {timeout.TotalSeconds:0} s.", ex);
            }
        }
    }

    /// <summary>Builds and saves the credential from a completed sign-in, after checking the workspace restriction.</summary>
    public async Task<AuthDotJson> CompleteLoginAsync(TokenResponse tokens, string issuer, string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var workspace = TokenClaims.GetWorkspaceId(tokens.IdToken) ?? TokenClaims.GetWorkspaceId(tokens.AccessToken);
        if (options.AllowedWorkspaceIds.Count > 0 && (workspace is null || !options.AllowedWorkspaceIds.Contains(workspace, StringComparer.Ordinal)))
        {
            await AbandonGrantAsync(tokens, issuer, clientId);
            throw new LatchkeyException(ErrorCodes.LoginFailed, $"Login is restricted to workspace id(s) {string.Join(", ", options.AllowedWorkspaceIds)}.");
        }

        var auth = new AuthDotJson
        {
            AuthMode = AuthDotJson.ModeChatGpt,
            Tokens = new TokenData
            {
                IdToken = tokens.IdToken,
                AccessToken = tokens.AccessToken,
                RefreshToken = tokens.RefreshToken,
                AccountId = workspace,
                Provenance = new OAuthProvenance { Issuer = issuer.TrimEnd('/'), ClientId = clientId },
            },
            LastRefresh = AuthDotJson.FormatTimestamp(time.GetUtcNow()),
        };
        try
        {
            await SaveReplacingAsync(auth, cancellationToken);
        }
        catch (Exception ex) when (ex is LatchkeyException or IOException or UnauthorizedAccessException)
        {
            // Nobody will hold these tokens: end the grant at the server rather than leave a live sign-in behind.
            await AbandonGrantAsync(tokens, issuer, clientId);
            throw;
        }

        return auth;
    }

    /// <summary>Best-effort RFC 7009 revocation of a sign-in this client will not keep; never hides the original error.</summary>
    private async Task AbandonGrantAsync(TokenResponse tokens, string issuer, string clientId)
    {
        if (tokens.RefreshToken is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await oauth.RevokeAsync(issuer, clientId, tokens.RefreshToken, "refresh_token", timeout.Token);
        }
        catch (Exception ex) when (ex is LatchkeyException or OperationCanceledException)
        {
        }
    }

    public async Task SaveApiKeyAsync(string apiKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        await SaveReplacingAsync(new AuthDotJson { AuthMode = AuthDotJson.ModeApiKey, ApiKey = apiKey }, cancellationToken);
    }

    /// <summary>Stores an access token with what the server said about it, so `login status` can show it without a network call.</summary>
    public async Task SaveAccessTokenAsync(string accessToken, AccessTokenIdentity who, string server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(server);
        var provenance = new OAuthProvenance
        {
            Issuer = server.TrimEnd('/'),
            ClientId = options.ClientId,
            Email = who.Email,
            ExpiresAt = who.ExpiresAt is { } at ? AuthDotJson.FormatTimestamp(at) : null,
        };
        var tokens = new TokenData { AccountId = who.WorkspaceId, Provenance = provenance };
        await SaveReplacingAsync(new AuthDotJson { PersonalAccessToken = accessToken, Tokens = tokens, LastRefresh = AuthDotJson.FormatTimestamp(time.GetUtcNow()) }, cancellationToken);
    }

    /// <summary>Revokes the grant at the server (RFC 7009), then deletes the local credential whatever the server said.</summary>
    public async Task<LogoutResult> LogoutAsync(CancellationToken cancellationToken)
    {
        AuthDotJson? auth;
        try
        {
            auth = await store.LoadAsync(cancellationToken);
        }
        catch (LatchkeyException ex) when (ex.Code == ErrorCodes.CredentialFileInvalid)
        {
            await store.DeleteAsync(cancellationToken);
            return LogoutResult.RemovedUnreadable;
        }

        if (auth is null)
        {
            return LogoutResult.NotSignedIn;
        }

        var result = LogoutResult.RevokedAndRemoved;
        var tokens = auth.Tokens;
        if (auth.Method == LoginMethod.Workspace && tokens?.RefreshToken is not null)
        {
            var issuer = tokens.Provenance?.Issuer ?? options.Server;
            try
            {
                if (issuer is null)
                {
                    result = LogoutResult.RemovedServerUnreachable;
                }
                else
                {
                    await oauth.RevokeAsync(issuer, tokens.Provenance?.ClientId ?? options.ClientId, tokens.RefreshToken, "refresh_token", cancellationToken);
                }
            }
            catch (LatchkeyException ex) when (ex.Code is ErrorCodes.ServerUnreachable or ErrorCodes.InvalidServerResponse)
            {
                result = LogoutResult.RemovedServerUnreachable;
            }
        }
        else
        {
            result = LogoutResult.Removed;
        }

        await store.DeleteAsync(cancellationToken);
        return result;
    }

    public bool NeedsRefresh(AuthDotJson auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        if (auth.Method != LoginMethod.Workspace || auth.Tokens?.RefreshToken is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (TokenClaims.GetExpiry(auth.Tokens.AccessToken) is { } expiry)
        {
            return expiry - now < options.RefreshMargin;
        }

        // A non-JWT access token: refresh when the last refresh is old (the Codex rule).
        return !DateTimeOffset.TryParse(auth.LastRefresh, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var last)
            || now - last > OpaqueTokenMaxAge;
    }

    /// <summary>Refuses, before anything starts, a sign-in method the administrator has forbidden, naming the setting and its layer.</summary>
    public void CheckLoginMethodAllowed(LoginMethod method)
    {
        switch (options.Config.ForcedLoginMethod)
        {
            case "api" when method != LoginMethod.ApiKey:
                throw new LatchkeyException(ErrorCodes.LoginMethodForbidden,
                    $"{(method == LoginMethod.AccessToken ? "Access-token sign-in is" : "Browser and device sign-in are")} turned off by forced_login_method = \"api\" ({options.Config.Describe("forced_login_method")}). Use `latchkey login --with-api-key`.");
            case "chatgpt" when method == LoginMethod.ApiKey:
                throw new LatchkeyException(ErrorCodes.LoginMethodForbidden,
                    $"API key sign-in is turned off by forced_login_method = \"chatgpt\" ({options.Config.Describe("forced_login_method")}). Use `latchkey login` (browser or --device-auth).");
        }
    }

    /// <summary>Refuses an access token for a workspace `forced_chatgpt_workspace_id` does not allow, naming where that was set.</summary>
    public void CheckWorkspaceAllowed(string? workspaceId)
    {
        var allowed = options.AllowedWorkspaceIds;
        if (allowed.Count > 0 && (workspaceId is null || !allowed.Contains(workspaceId, StringComparer.Ordinal)))
        {
            throw new LatchkeyException(ErrorCodes.RestrictionViolated,
                $"Login is restricted to workspace id(s) {string.Join(", ", allowed)} (forced_chatgpt_workspace_id, {options.Config.Describe("forced_chatgpt_workspace_id")}), but this access token is for workspace {workspaceId ?? "(none)"}.");
        }
    }

    /// <summary>
    /// Loads the stored credential and, when it breaks an admin restriction (login method or workspace), removes it
    /// from the store and throws a message naming the restriction, where it was set and the workspace found.
    /// </summary>
    public async Task<AuthDotJson?> EnforceRestrictionsAsync(CancellationToken cancellationToken)
    {
        var auth = await store.LoadAsync(cancellationToken);
        if (auth is null)
        {
            return null;
        }

        var config = options.Config;
        string? violation = null;
        if (config.ForcedLoginMethod is "api" && auth.Method != LoginMethod.ApiKey)
        {
            violation = $"forced_login_method = \"api\" ({config.Describe("forced_login_method")}) allows only API keys, but the stored credential is a {Describe(auth.Method)}";
        }
        else if (config.ForcedLoginMethod is "chatgpt" && auth.Method == LoginMethod.ApiKey)
        {
            violation = $"forced_login_method = \"chatgpt\" ({config.Describe("forced_login_method")}) does not allow API keys";
        }
        else if (config.ForcedWorkspaceIds.Count > 0 && auth.Method != LoginMethod.ApiKey)
        {
            var found = auth.Tokens?.AccountId ?? TokenClaims.GetWorkspaceId(auth.Tokens?.IdToken);
            if (found is null || !config.ForcedWorkspaceIds.Contains(found, StringComparer.Ordinal))
            {
                violation = $"Login is restricted to workspace id(s) {string.Join(", ", config.ForcedWorkspaceIds)} (forced_chatgpt_workspace_id, {config.Describe("forced_chatgpt_workspace_id")}), but the stored credential is for workspace {found ?? "(none)"}";
            }
        }

        if (violation is null)
        {
            return auth;
        }

        await store.DeleteAsync(cancellationToken);
        throw new LatchkeyException(ErrorCodes.RestrictionViolated, violation + ". It has been removed; run `latchkey login`.");
    }

    private static string Describe(LoginMethod method) => method switch
    {
        LoginMethod.ApiKey => "API key",
        LoginMethod.AccessToken => "access token",
        _ => "workspace sign-in",
    };

    /// <summary>LATCHKEY_ACCESS_TOKEN or LATCHKEY_API_KEY: used as they are, never written anywhere.</summary>
    public LatchkeyCredential? EnvironmentCredential()
    {
        var accessToken = options.Environment("LATCHKEY_ACCESS_TOKEN")?.Trim();
        if (!string.IsNullOrEmpty(accessToken))
        {
            return new LatchkeyCredential(LoginMethod.AccessToken, accessToken, null, null);
        }

        var apiKey = options.Environment("LATCHKEY_API_KEY")?.Trim();
        return string.IsNullOrEmpty(apiKey) ? null : new LatchkeyCredential(LoginMethod.ApiKey, apiKey, null, null);
    }

    private async Task SaveReplacingAsync(AuthDotJson auth, CancellationToken cancellationToken)
    {
        if (store is FileCredentialStore file && await file.QuarantineIfUnreadableAsync(cancellationToken) is { } backup)
        {
            throw new LatchkeyException(ErrorCodes.CredentialFileInvalid, $"The old credential file was unreadable and was moved to {backup}. Run the command again.");
        }

        await store.SaveAsync(auth, cancellationToken);
    }

    private static LatchkeyCredential ToCredential(AuthDotJson auth)
        => new(LoginMethod.Workspace, auth.Tokens!.AccessToken!, auth.Tokens.AccountId, TokenClaims.GetExpiry(auth.Tokens.AccessToken));

    private static LatchkeyException NotSignedIn() => new(ErrorCodes.NotSignedIn, "Not logged in. Run `latchkey login`.");

    /// <summary>Checks an API key or access token for typos before anything is saved (the checksum of DESIGN.md).</summary>
    public static void ValidateSecretFormat(string secret, LoginMethod method)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var (prefix, name) = method == LoginMethod.ApiKey ? (TokenFormat.ApiKeyPrefix, "API key") : (TokenFormat.AccessTokenPrefix, "access token");
        if (!TokenFormat.IsWellFormed(secret, prefix))
        {
            var hint = secret.StartsWith(method == LoginMethod.ApiKey ? TokenFormat.AccessTokenPrefix : TokenFormat.ApiKeyPrefix, StringComparison.Ordinal)
                ? $" That looks like {(method == LoginMethod.ApiKey ? "an access token: use --with-access-token" : "an API key: use --with-api-key")}."
                : string.Empty;
            throw new LatchkeyException(ErrorCodes.InvalidSecret, $"That is not a valid Latchkey {name} (expected {prefix}… with a valid checksum).{hint}");
        }
    }
}
