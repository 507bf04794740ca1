using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Infrastructure;

public static class OAuthFlows
{
    public const string CliClient = "latchkey-cli";
    public const string LoopbackRedirect = "http://127.0.0.1:49152/auth/callback";

    public static string AuthorizeUrl(string challenge, string state = "st-123", string clientId = CliClient, string redirectUri = LoopbackRedirect, IDictionary<string, string?>? extra = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
            ["scope"] = "openid profile email offline_access",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            query[k] = v;
        }

        return QueryHelpers.AddQueryString("/oauth/authorize", query.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    /// <summary>Runs /oauth/authorize with a signed-in session and returns the code from the redirect.</summary>
    public static async Task<(string Code, string Verifier)> GetCodeAsync(WebSession session, string? verifier = null, IDictionary<string, string?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        verifier ??= Pkce.CreateVerifier();
        var (response, body) = await session.GetAsync(AuthorizeUrl(Pkce.ComputeS256Challenge(verifier), extra: extra));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {body}");
        var location = response.Headers.Location!;
        Assert.StartsWith(LoopbackRedirect, location.OriginalString, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("st-123", query["state"].ToString());
        return (query["code"].ToString(), verifier);
    }

    public static async Task<(HttpStatusCode Status, JsonObject Body)> TokenAsync(HttpClient client, IDictionary<string, string> form)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = new FormUrlEncodedContent(form);
        var response = await client.PostAsync(new Uri("/oauth/token", UriKind.Relative), content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    public static Task<(HttpStatusCode Status, JsonObject Body)> ExchangeAsync(HttpClient client, string code, string verifier, string redirectUri = LoopbackRedirect, string clientId = CliClient)
        => TokenAsync(client, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        });

    public static Task<(HttpStatusCode Status, JsonObject Body)> RefreshAsync(HttpClient client, string refreshToken, string clientId = CliClient)
        => TokenAsync(client, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId,
        });

    /// <summary>Signs a fresh user in and completes the code flow: the tokens of one new grant.</summary>
    public static async Task<(TestUser User, JsonObject Tokens)> SignInAndGetTokensAsync(LatchkeyServerFactory factory)
    {
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        using var session = await TestAccounts.SignInAsync(factory, user);
        var (code, verifier) = await GetCodeAsync(session);
        var (status, tokens) = await ExchangeAsync(factory.CreateClient(), code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        return (user, tokens);
    }
}
