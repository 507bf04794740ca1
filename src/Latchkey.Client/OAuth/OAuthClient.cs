using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Latchkey.Client.Credentials;

namespace Latchkey.Client.OAuth;

/// <summary>The client's side of the Latchkey OAuth endpoints. Every failure is a <see cref="LatchkeyException"/>.</summary>
internal sealed class OAuthClient
{
    private readonly HttpClient http;

    public OAuthClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        ClientUserAgent.ApplyTo(http);
        this.http = http;
    }

    public HttpClient Http => http;

    public async Task<ServerMetadata> DiscoverAsync(string server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var issuer = server.TrimEnd('/');
        var metadata = await GetJsonAsync(issuer + "/.well-known/openid-configuration", AuthJsonContext.Default.ServerMetadata, cancellationToken);
        if (metadata.TokenEndpoint is null || metadata.AuthorizationEndpoint is null || metadata.Issuer is null)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"{issuer} is not a Latchkey server (its discovery document lacks endpoints).");
        }

        if (!string.Equals(metadata.Issuer.TrimEnd('/'), issuer, StringComparison.Ordinal))
        {
            // OIDC Discovery §4.3: the issuer in the document must be the one asked for.
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"{issuer} claims to be {metadata.Issuer}; refusing to sign in to a mismatched server.");
        }

        return metadata;
    }

    public Task<TokenResponse> ExchangeCodeAsync(ServerMetadata server, string clientId, string code, string redirectUri, string verifier, CancellationToken cancellationToken)
        => TokenRequestAsync(server.TokenEndpoint!, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        }, cancellationToken);

    public async Task<DeviceAuthorizationResponse> StartDeviceAuthorizationAsync(ServerMetadata server, string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.DeviceAuthorizationEndpoint is null)
        {
            throw new LatchkeyException(ErrorCodes.DeviceAuthDisabled, "Device sign-in is switched off on this server.");
        }

        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = clientId, ["scope"] = "openid profile email offline_access" });
        using var response = await SendAsync(() => http.PostAsync(new Uri(server.DeviceAuthorizationEndpoint), content, cancellationToken), server.DeviceAuthorizationEndpoint);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = TryParse(body, AuthJsonContext.Default.OAuthErrorBody);
            if (error?.ErrorCode is "unauthorized_client" && error.Description?.Contains("switched off", StringComparison.OrdinalIgnoreCase) == true)
            {
                throw new LatchkeyException(ErrorCodes.DeviceAuthDisabled, error.Description);
            }

            throw new LatchkeyException(ErrorCodes.LoginFailed, $"Device sign-in could not start: {error?.Description ?? error?.ErrorCode ?? $"HTTP {(int)response.StatusCode}"}");
        }

        var device = TryParse(body, AuthJsonContext.Default.DeviceAuthorizationResponse);
        if (device?.DeviceCode is null || device.UserCode is null || device.VerificationUri is null || device.ExpiresIn <= 0)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, "The server's device authorization reply is incomplete.");
        }

        return device;
    }

    /// <summary>One device poll: tokens, or the RFC 8628 §3.5 error code (authorization_pending, slow_down, ...).</summary>
    public async Task<(TokenResponse? Tokens, string? Error, string? Description)> PollDeviceAsync(ServerMetadata server, string clientId, string deviceCode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = deviceCode,
            ["client_id"] = clientId,
        });
        using var response = await SendAsync(() => http.PostAsync(new Uri(server.TokenEndpoint!), content, cancellationToken), server.TokenEndpoint!);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return (ValidateTokens(TryParse(body, AuthJsonContext.Default.TokenResponse)), null, null);
        }

        var error = TryParse(body, AuthJsonContext.Default.OAuthErrorBody);
        return (null, error?.ErrorCode ?? $"http_{(int)response.StatusCode}", error?.Description);
    }

    /// <summary>refresh_token grant (RFC 6749 §6), sent as JSON like the Codex client so both dialects stay exercised.</summary>
    public async Task<TokenResponse> RefreshAsync(string issuer, string clientId, string refreshToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var endpoint = issuer.TrimEnd('/') + "/oauth/token";
        var json = $"{{\"client_id\":{JsonSerializer.Serialize(clientId, StringContext.Default.String)},\"grant_type\":\"refresh_token\",\"refresh_token\":{JsonSerializer.Serialize(refreshToken, StringContext.Default.String)},\"refresh_reason\":\"proactive_expiry\"}}";
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(new Uri(endpoint), content, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new RefreshFailedException(RefreshFailureReason.Other, false, $"Could not reach {issuer} to refresh the sign-in: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RefreshFailedException(RefreshFailureReason.Other, false, $"{issuer} did not answer the refresh in time.", ex);
        }

        using (response)
        {
            byte[] body;
            try
            {
                body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The answer was cut off: whether the server rotated is unknown, so this is worth a retry.
                throw new RefreshFailedException(RefreshFailureReason.Other, false, $"The answer from {issuer} was cut off: {ex.Message}", ex);
            }

            if (response.IsSuccessStatusCode)
            {
                var tokens = TryParse(body, AuthJsonContext.Default.TokenResponse)
                    ?? throw new LatchkeyException(ErrorCodes.InvalidServerResponse, "The server's refresh reply is not valid JSON.");
                return tokens;
            }

            throw RefreshFailedException.Classify((int)response.StatusCode, TryParse(body, AuthJsonContext.Default.OAuthErrorBody));
        }
    }

    /// <summary>RFC 7009 revocation. Unreachable servers surface as <see cref="ErrorCodes.ServerUnreachable"/>.</summary>
    public async Task RevokeAsync(string issuer, string clientId, string token, string tokenTypeHint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var endpoint = issuer.TrimEnd('/') + "/oauth/revoke";
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["token_type_hint"] = tokenTypeHint, ["client_id"] = clientId });
        using var response = await SendAsync(() => http.PostAsync(new Uri(endpoint), content, cancellationToken), endpoint);
        if (!response.IsSuccessStatusCode)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"The server refused the revocation (HTTP {(int)response.StatusCode}).");
        }
    }

    public async Task<TokenResponse> TokenRequestAsync(string endpoint, IDictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await SendAsync(() => http.PostAsync(new Uri(endpoint), content, cancellationToken), endpoint);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = TryParse(body, AuthJsonContext.Default.OAuthErrorBody);
            throw new LatchkeyException(ErrorCodes.LoginFailed, $"The server refused the sign-in: {error?.Description ?? error?.ErrorCode ?? $"HTTP {(int)response.StatusCode}"}");
        }

        return ValidateTokens(TryParse(body, AuthJsonContext.Default.TokenResponse));
    }

    private static TokenResponse ValidateTokens(TokenResponse? tokens)
    {
        if (tokens?.AccessToken is null || tokens.RefreshToken is null || tokens.IdToken is null)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, "The server's token reply lacks an access, refresh or id token.");
        }

        return tokens;
    }

    private async Task<T> GetJsonAsync<T>(string url, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendAsync(() => http.SendAsync(request, cancellationToken), url);
        if (!response.IsSuccessStatusCode)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"{url} answered HTTP {(int)response.StatusCode}.");
        }

        return TryParse(await response.Content.ReadAsByteArrayAsync(cancellationToken), type)
            ?? throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"{url} did not answer with valid JSON.");
    }

    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, string url)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw new LatchkeyException(ErrorCodes.ServerUnreachable, $"Could not reach {new Uri(url).GetLeftPart(UriPartial.Authority)}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ex.CancellationToken.IsCancellationRequested)
        {
            throw new LatchkeyException(ErrorCodes.ServerUnreachable, $"{new Uri(url).GetLeftPart(UriPartial.Authority)} did not answer in time.", ex);
        }
    }

    private static T? TryParse<T>(byte[] body, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
