namespace Latchkey.Protocol.OAuth;

public static class GrantTypes
{
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";
    public const string DeviceCode = "urn:ietf:params:oauth:grant-type:device_code";
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
}
