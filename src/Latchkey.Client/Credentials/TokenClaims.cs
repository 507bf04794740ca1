using System.Text.Json.Nodes;
using Latchkey.Protocol.Jwt;
using Latchkey.Protocol.OAuth;

namespace Latchkey.Client.Credentials;

/// <summary>
/// Reads claims from stored tokens without verifying them: the server already did, and these values only decide
/// when to refresh and what to display. Never used to make an authorization decision.
/// </summary>
internal static class TokenClaims
{
    public static DateTimeOffset? GetExpiry(string? jwt)
        => JwtCodec.TryDecodeUnverified(jwt, out _, out var claims) && JwtCodec.GetLong(claims, ClaimNames.Expires) is { } exp
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : null;

    public static string? GetEmail(string? jwt)
        => JwtCodec.TryDecodeUnverified(jwt, out _, out var claims) ? JwtCodec.GetString(claims, ClaimNames.Email) : null;

    public static string? GetWorkspaceId(string? jwt)
        => JwtCodec.TryDecodeUnverified(jwt, out _, out var claims) && claims[ClaimNames.CodexAuth] is JsonObject auth
            ? JwtCodec.GetString(auth, ClaimNames.CodexAccountId)
            : null;

    public static string? GetPlanType(string? jwt)
        => JwtCodec.TryDecodeUnverified(jwt, out _, out var claims) && claims[ClaimNames.CodexAuth] is JsonObject auth
            ? JwtCodec.GetString(auth, ClaimNames.CodexPlanType)
            : null;
}
