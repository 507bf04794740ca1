using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Client.Credentials;

/// <summary>
/// The credential cache, in the Codex CLI's auth.json schema (codex-compat.md) so `latchkey` and `codex` can share a
/// home. Keys this version does not know are kept in <see cref="Extra"/> and written back unchanged.
/// </summary>
internal sealed class AuthDotJson
{
    public const string ModeChatGpt = "chatgpt";
    public const string ModeApiKey = "apikey";

    [JsonPropertyName("auth_mode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AuthMode { get; set; }

    /// <summary>Always written, null when absent (Codex reads the key's presence).</summary>
    [JsonPropertyName("OPENAI_API_KEY")]
    public string? ApiKey { get; set; }

    [JsonPropertyName("tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TokenData? Tokens { get; set; }

    /// <summary>RFC 3339 UTC.</summary>
    [JsonPropertyName("last_refresh")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LastRefresh { get; set; }

    [JsonPropertyName("personal_access_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PersonalAccessToken { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>How this credential signs in, by the Codex rules: explicit auth_mode, else PAT, else API key, else tokens.</summary>
    [JsonIgnore]
    public LoginMethod Method => AuthMode switch
    {
        ModeApiKey => LoginMethod.ApiKey,
        ModeChatGpt => LoginMethod.Workspace,
        _ when PersonalAccessToken is not null => LoginMethod.AccessToken,
        _ when ApiKey is not null => LoginMethod.ApiKey,
        _ => LoginMethod.Workspace,
    };

    public static string FormatTimestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public AuthDotJson Clone() => JsonSerializer.Deserialize(JsonSerializer.Serialize(this, AuthJsonContext.Default.AuthDotJson), AuthJsonContext.Default.AuthDotJson)!;
}
