using System.Text;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Server.OAuth;

/// <summary>Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).</summary>
public sealed class ClientAuthenticator(ClientRegistry clients)
{
    public (RegisteredClient? Client, OAuthError? Error) Authenticate(HttpContext context, OAuthParameters p, bool requireClientId = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(p);
        string? id = p["client_id"], secret = p["client_secret"];
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (secret is not null)
            {
                // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
                return (null, OAuthError.InvalidRequest("Use one client authentication method, not two."));
            }

            if (!TryParseBasic(header["Basic ".Length..], out var basicId, out var basicSecret))
            {
                return (null, OAuthError.InvalidClient("Malformed Basic credentials."));
            }

            if (id is not null && id != basicId)
            {
                return (null, OAuthError.InvalidRequest("client_id does not match the Basic credentials."));
            }

            (id, secret) = (basicId, basicSecret);
        }

        if (id is null)
        {
            return requireClientId ? (null, OAuthError.InvalidClient("client_id is required.")) : (null, null);
        }

        var client = clients.Find(id);
        if (client is null)
        {
            return (null, OAuthError.InvalidClient("Unknown client."));
        }

        if (client.IsConfidential && (secret is null || !SecretDigest.FixedTimeEquals(SecretDigest.Compute(secret), client.SecretSha256)))
        {
            return (null, OAuthError.InvalidClient("Client authentication failed."));
        }

        return (client, null);
    }

    private static bool TryParseBasic(string encoded, out string id, out string secret)
    {
        id = secret = string.Empty;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
            id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
