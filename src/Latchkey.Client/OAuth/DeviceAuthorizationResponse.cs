using System.Text.Json.Serialization;

namespace Latchkey.Client.OAuth;

/// <summary>RFC 8628 §3.2.</summary>
internal sealed class DeviceAuthorizationResponse
{
    [JsonPropertyName("device_code")]
    public string? DeviceCode { get; set; }

    [JsonPropertyName("user_code")]
    public string? UserCode { get; set; }

    [JsonPropertyName("verification_uri")]
    public string? VerificationUri { get; set; }

    [JsonPropertyName("verification_uri_complete")]
    public string? VerificationUriComplete { get; set; }

    [JsonPropertyName("expires_in")]
    public long ExpiresIn { get; set; }

    [JsonPropertyName("interval")]
    public long? Interval { get; set; }
}
