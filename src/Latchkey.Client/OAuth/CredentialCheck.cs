using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Latchkey.Client.OAuth;

/// <summary>
/// Asks the server whether an `at-` access token or an `sk-lk-` API key is good, before it is stored and (for access
/// tokens) at the start of each run. Refusals carry the server's own reason: it is the one users and admins know.
/// </summary>
internal sealed class CredentialCheck(HttpClient http)
{
    /// <summary>The Codex whoami endpoint (codex-compat.md): the full access-token check, recorded by the server.</summary>
    public const string WhoAmIPath = "/api/accounts/v1/user-auth-credential/whoami";

    /// <summary>
    /// The model gateway is the only place that takes API keys, so a key is checked there with the cheapest request an
    /// OpenAI-style client makes (the model list). Latchkey refuses a bad key itself, before any upstream is asked,
    /// with a 401 in its own realm; any other answer (even the upstream's error) means Latchkey took the key.
    /// </summary>
    public const string ApiKeyProbePath = "/v1/models";

    public async Task<AccessTokenIdentity> WhoAmIAsync(string server, string token, CancellationToken ct)
    {
        using var response = await SendAsync(server, WhoAmIPath, token, "access token", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var reason = TryMessage(body);
        if (response.StatusCode == HttpStatusCode.Forbidden && reason is not null)
        {
            // A workspace policy (local access off): the server's message is the one users and admins know.
            throw new LatchkeyException(ErrorCodes.InvalidSecret, reason);
        }

        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            throw new LatchkeyException(ErrorCodes.InvalidSecret, reason is null
                ? "The server refused this access token. It may be revoked or expired: create a new one in the Latchkey console."
                : $"The server refused this access token: {reason}");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"The server could not check the access token (HTTP {(int)response.StatusCode}).");
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var expires = Str(root, "expires_at") is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null;
            return new AccessTokenIdentity(Str(root, "email"), Str(root, "chatgpt_account_id"), expires);
        }
        catch (JsonException ex)
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, "The server's access-token check did not answer with JSON.", ex);
        }
    }

    /// <summary>Throws <see cref="ErrorCodes.InvalidSecret"/> with the server's reason when Latchkey refuses the key.</summary>
    public async Task CheckApiKeyAsync(string server, string apiKey, CancellationToken ct)
    {
        using var response = await SendAsync(server, ApiKeyProbePath, apiKey, "API key", ct);
        var latchkeyRefused = response.StatusCode == HttpStatusCode.Unauthorized
            && response.Headers.WwwAuthenticate.Any(h => h.Parameter?.Contains("realm=\"latchkey\"", StringComparison.Ordinal) == true);
        if (latchkeyRefused)
        {
            var reason = TryGatewayMessage(await response.Content.ReadAsStringAsync(ct));
            throw new LatchkeyException(ErrorCodes.InvalidSecret, reason is null
                ? "The server refused this API key. It may be revoked: ask a workspace administrator for a new one."
                : $"The server refused this API key: {reason}");
        }

        if (response.StatusCode == HttpStatusCode.NotFound && response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            throw new LatchkeyException(ErrorCodes.InvalidServerResponse, $"{server} does not look like a Latchkey server (no model gateway at {ApiKeyProbePath}).");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string server, string path, string secret, string what, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.TrimEnd('/') + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new LatchkeyException(ErrorCodes.ServerUnreachable, $"Could not reach {server} to check the {what}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new LatchkeyException(ErrorCodes.ServerUnreachable, $"Could not reach {server} to check the {what}: no answer in time.", ex);
        }
    }

    private static string? Str(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? TryMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            return Str(root, "detail") ?? Str(root, "error_description") ?? Str(root, "message") ?? Str(root, "title");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? TryGatewayMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) ? Str(error, "message") : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
