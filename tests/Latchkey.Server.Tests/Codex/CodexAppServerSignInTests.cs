using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Protocol.OAuth;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Codex;

/// <summary>
/// What codex app-server and the Codex TUI need from the browser sign-in (codex-compat.md): the scopes codex always
/// sends, the workspace pinning it sends, and a workspace backend origin codex accepts.
/// </summary>
public sealed class CodexAppServerSignInTests() : ServerTest(settings: new Dictionary<string, string?>
{
    ["Latchkey:Codex:WorkspaceBackendOrigin"] = "https://latchkey.example.com",
})
{
    /// <summary>Exactly what codex 0.169.0 puts in the authorize URL of its browser sign-in.</summary>
    public const string CodexScope = "openid profile email offline_access api.connectors.read api.connectors.invoke";
    private const string CodexRedirect = "http://127.0.0.1:1455/auth/callback";

    private static string CodexAuthorizeUrl(string verifier, string scope = CodexScope, string clientId = "codex-cli", IDictionary<string, string?>? extra = null)
    {
        var query = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>()) { ["scope"] = scope };
        return OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(verifier), clientId: clientId, redirectUri: CodexRedirect, extra: query);
    }

    private async Task<(TestUser User, WebSession Session)> SignedInAsync()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        return (user, await TestAccounts.SignInAsync(Factory, user));
    }

    [Fact]
    public async Task Codex_connector_scopes_are_accepted_and_ignored_and_the_grant_records_only_latchkey_scopes_Rfc6749Section3_3()
    {
        var (_, session) = await SignedInAsync();
        using var signedIn = session;
        var verifier = Pkce.CreateVerifier();

        var (response, body) = await session.GetAsync(CodexAuthorizeUrl(verifier));

        Assert.True(response.StatusCode == HttpStatusCode.Redirect, body);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.True(query.ContainsKey("code"), response.Headers.Location.ToString());
        var (status, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), query["code"].ToString(), verifier, CodexRedirect, "codex-cli");
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        // RFC 6749 §3.3: the scope granted differs from the one asked for, so the response names it.
        Assert.Equal(Scopes.Default, tokens["scope"]!.GetValue<string>());
        var grant = await Factory.Get<GrantRepository>().FindByRefreshTokenAsync(SecretDigest.Compute(tokens["refresh_token"]!.GetValue<string>()), CancellationToken.None);
        Assert.Equal(Scopes.Default, grant!.Scope);
        Latchkey.Protocol.Jwt.JwtCodec.TryDecodeUnverified(tokens["access_token"]!.GetValue<string>(), out _, out var claims);
        Assert.DoesNotContain("api.connectors", claims[ClaimNames.Scope]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("codex-cli", "openid admin")]
    [InlineData("codex-cli", "api.connectors.read api.connectors.invoke")]
    [InlineData("latchkey-cli", CodexScope)]
    public async Task Scopes_a_client_may_not_ask_for_stay_invalid_scope_Rfc6749Section4_1_2_1(string clientId, string scope)
    {
        // Only the Codex client may send the connector scopes (granted nothing); a scope nobody defines, or a request
        // that would be left with nothing Latchkey grants, is refused rather than silently widened to the default set.
        var (_, session) = await SignedInAsync();
        using var signedIn = session;
        var redirect = clientId == "codex-cli" ? CodexRedirect : OAuthFlows.LoopbackRedirect;
        var url = OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(Pkce.CreateVerifier()), clientId: clientId, redirectUri: redirect, extra: new Dictionary<string, string?> { ["scope"] = scope });

        var (response, _) = await session.GetAsync(url);

        Assert.Equal("invalid_scope", QueryHelpers.ParseQuery(response.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task Codex_workspace_pinning_is_honoured_before_any_code_or_grant_exists()
    {
        // codex sends allowed_workspace_id (forced_chatgpt_workspace_id) and refuses other workspaces' tokens only
        // after the exchange; refusing here means no grant is left behind that nobody holds.
        var (user, session) = await SignedInAsync();
        using var signedIn = session;
        var before = (await Factory.Get<GrantRepository>().ListActiveSignInsForUserAsync(user.Id, 0, CancellationToken.None)).Count;

        var (response, _) = await session.GetAsync(CodexAuthorizeUrl(Pkce.CreateVerifier(), extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = "ws_pinned_elsewhere" }));

        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.False(query.ContainsKey("code"));
        Assert.Equal(before, (await Factory.Get<GrantRepository>().ListActiveSignInsForUserAsync(user.Id, 0, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Accounts_check_names_the_configured_https_backend_origin()
    {
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(Factory);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/backend-api/wham/accounts/check");
        request.Headers.Authorization = new("Bearer", tokens["access_token"]!.GetValue<string>());

        using var response = await Factory.CreateClient().SendAsync(request);

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("https://latchkey.example.com", body["accounts"]![0]!["workspace_backend_origin"]!.GetValue<string>());
        Assert.True(CodexOptions.IsCodexBackendOrigin(body["accounts"]![0]!["workspace_backend_origin"]!.GetValue<string>()));
    }
}
