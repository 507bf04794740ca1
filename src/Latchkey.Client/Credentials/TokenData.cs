using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Client.Credentials;

internal sealed class TokenData
{
    [JsonPropertyName("id_token")]
    public string? IdToken { get; set; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; set; }

    /// <summary>The workspace id (Codex: `chatgpt_account_id`).</summary>
    [JsonPropertyName("account_id")]
    public string? AccountId { get; set; }

    [JsonPropertyName("oauth_provenance")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OAuthProvenance? Provenance { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
