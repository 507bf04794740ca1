namespace Latchkey.Protocol.OAuth;

/// <summary>Token type identifiers of RFC 8693 §3.</summary>
public static class TokenTypes
{
    public const string AccessToken = "urn:ietf:params:oauth:token-type:access_token";
    public const string IdToken = "urn:ietf:params:oauth:token-type:id_token";
    public const string RefreshToken = "urn:ietf:params:oauth:token-type:refresh_token";
}
