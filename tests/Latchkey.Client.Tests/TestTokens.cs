using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;

namespace Latchkey.Client.Tests;

public static class TestTokens
{
    private static readonly EcSigningKey Key = EcSigningKey.Generate();

    public static string Jwt(DateTimeOffset expires, string workspace = "ws_1", string email = "a@example.com")
        => JwtCodec.Sign(
            new JsonObject
            {
                ["exp"] = expires.ToUnixTimeSeconds(),
                ["email"] = email,
                ["https://api.openai.com/auth"] = new JsonObject { ["chatgpt_account_id"] = workspace },
            },
            Key);

    public static JsonObject TokenReply(DateTimeOffset accessExpires, string refresh = "refresh-2", string workspace = "ws_1")
        => new()
        {
            ["access_token"] = Jwt(accessExpires, workspace),
            ["id_token"] = Jwt(accessExpires, workspace),
            ["refresh_token"] = refresh,
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
        };
}
