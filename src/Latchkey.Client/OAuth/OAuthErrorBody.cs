using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Client.OAuth;

/// <summary>An OAuth error reply. `error` may be a string (RFC 6749) or an object with `code` (some servers).</summary>
internal sealed class OAuthErrorBody
{
    [JsonPropertyName("error")]
    public JsonElement Error { get; set; }

    [JsonPropertyName("error_description")]
    public string? Description { get; set; }

    [JsonPropertyName("code")]
    public string? Code { get; set; }

    /// <summary>The most specific code present: `error.code`, else a string `error`... as the Codex client reads it, then `code`.</summary>
    [JsonIgnore]
    public string? ErrorCode => Error.ValueKind switch
    {
        JsonValueKind.String => Error.GetString(),
        JsonValueKind.Object when Error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => Code,
    };
}
