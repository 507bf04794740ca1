using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Client.Credentials;

/// <summary>Which server and client issued the tokens: refresh and revoke go back there.</summary>
public sealed class OAuthProvenance
{
    [JsonPropertyName("issuer")]
    public string? Issuer { get; set; }

    [JsonPropertyName("client_id")]
    public string? ClientId { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
