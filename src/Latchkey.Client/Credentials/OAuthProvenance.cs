using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Client.Credentials;

/// <summary>
/// Which server and client issued the tokens: refresh and revoke go back there. For an access token, also whose it is
/// and until when, as the server's whoami said at sign-in (for `login status` without a network call). Codex ignores
/// these Latchkey keys.
/// </summary>
internal sealed class OAuthProvenance
{
    [JsonPropertyName("issuer")]
    public string? Issuer { get; set; }

    [JsonPropertyName("client_id")]
    public string? ClientId { get; set; }

    [JsonPropertyName("email")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Email { get; set; }

    /// <summary>RFC 3339 UTC.</summary>
    [JsonPropertyName("expires_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ExpiresAt { get; set; }

    [JsonIgnore]
    public DateTimeOffset? ExpiresAtTime => DateTimeOffset.TryParse(ExpiresAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
