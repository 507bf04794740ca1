using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>The requests every target gets alike: token grants over form posts, and PKCE pairs.</summary>
public static class BenchHttp
{
    public static HttpClient NewClient(string baseUrl) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        UseCookies = false,
        AllowAutoRedirect = false,
    }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    /// <summary>Posts a grant to the token endpoint: the parsed answer, or an error naming the status and body.</summary>
    public static async Task<(JsonElement? Tokens, string? Error)> TokenAsync(IBenchTarget target, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        form["client_id"] = target.ClientId;
        using var content = new FormUrlEncodedContent(form);
        using var response = await target.Http.PostAsync(new Uri(target.TokenPath, UriKind.Relative), content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (null, $"{(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
        }

        using var json = JsonDocument.Parse(body);
        return (json.RootElement.Clone(), null);
    }

    public static Task<(JsonElement? Tokens, string? Error)> ExchangeAsync(IBenchTarget target, PkceCode code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(code);
        return TokenAsync(target, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code.Code,
            ["redirect_uri"] = target.RedirectUri,
            ["code_verifier"] = code.Verifier,
        }, cancellationToken);
    }

    /// <summary>Signs in <paramref name="count"/> times: each answer carries a fresh refresh token (one chain) and access token.</summary>
    public static async Task<JsonElement[]> SignInsAsync(IBenchTarget target, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var codes = await target.MintCodesAsync(count, cancellationToken);
        var tokens = new JsonElement[count];
        for (var i = 0; i < count; i++)
        {
            var (answer, error) = await ExchangeAsync(target, codes[i], cancellationToken);
            tokens[i] = answer ?? throw new InvalidOperationException($"{target.Name}: code exchange failed: {error}");
        }

        return tokens;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
