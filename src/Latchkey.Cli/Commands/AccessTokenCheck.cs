using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Latchkey.Client;

namespace Latchkey.Cli.Commands;

/// <summary>Asks the server who an `at-` access token belongs to (the Codex whoami endpoint), before it is stored.</summary>
internal sealed class AccessTokenCheck(HttpClient http)
{
    public async Task<(string? Email, string? WorkspaceId)> WhoAmIAsync(string server, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.TrimEnd('/') + "/api/accounts/v1/user-auth-credential/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new LatchkeyException(ErrorCodes.ServerUnreachable, $"Could not reach {server} to check the access token: {ex.Message}", ex);
        }

        using (response)
        {
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
                return (Str(root, "email"), Str(root, "chatgpt_account_id"));
            }
            catch (JsonException ex)
            {
                throw new LatchkeyException(ErrorCodes.InvalidServerResponse, "The server's access-token check did not answer with JSON.", ex);
            }
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

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
}
