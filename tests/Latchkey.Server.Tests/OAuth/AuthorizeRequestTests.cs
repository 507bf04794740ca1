using System.Net;
using Latchkey.Protocol.OAuth;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.OAuth;

/// <summary>Validation of /oauth/authorize (RFC 6749 §3.1, §4.1.2.1; RFC 7636; RFC 8252 §7.3; RFC 9700 §2.1).</summary>
public sealed class AuthorizeRequestTests : ServerTest
{
    private TestUser user = null!;
    private WebSession session = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        user = await TestAccounts.CreateEnrolledAsync(Factory);
        session = await TestAccounts.SignInAsync(Factory, user);
    }

    public override async ValueTask DisposeAsync()
    {
        session.Dispose();
        await base.DisposeAsync();
    }

    private static string Challenge => Pkce.ComputeS256Challenge(Pkce.CreateVerifier());

    [Theory]
    [InlineData("http://127.0.0.1:1455/auth/callback")]
    [InlineData("http://127.0.0.1:61234/auth/callback")]
    [InlineData("http://localhost:1455/auth/callback")]
    [InlineData("http://[::1]:8080/auth/callback")]
    public async Task LoopbackRedirect_AnyPort_IsAccepted_Rfc8252Section7_3(string redirect)
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, redirectUri: redirect));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(redirect + "?code=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1455/auth/callback/extra")]
    [InlineData("http://127.0.0.1:1455/AUTH/callback")]
    [InlineData("http://127.0.0.2:1455/auth/callback")]
    [InlineData("https://127.0.0.1:1455/auth/callback")]
    [InlineData("http://127.0.0.1.evil.example:1455/auth/callback")]
    [InlineData("http://user@127.0.0.1:1455/auth/callback")]
    [InlineData("http://127.0.0.1:1455/auth/./callback")]
    [InlineData("http://127.0.0.1:1455/auth/callback#frag")]
    [InlineData("https://evil.example/auth/callback")]
    public async Task UnregisteredRedirect_IsShownToUserNeverRedirected_Rfc6749Section4_1_2_1(string redirect)
    {
        var (response, body) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, redirectUri: redirect));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("redirect URI is not registered", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonLoopbackRedirect_MustMatchExactly_Rfc9700Section2_1()
    {
        var ok = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, clientId: "web-app", redirectUri: "https://app.example/callback"));
        var port = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, clientId: "web-app", redirectUri: "https://app.example:444/callback"));

        Assert.Equal(HttpStatusCode.Redirect, ok.Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, port.Response.StatusCode);
    }

    [Fact]
    public async Task UnknownClient_IsShownToUserNeverRedirected()
    {
        var (response, body) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, clientId: "nobody"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("Unknown client", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPkce_IsRedirectedAsInvalidRequest_Rfc9700Section2_1_1()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["code_challenge"] = null }));

        var q = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("invalid_request", q["error"].ToString());
        Assert.Equal("st-123", q["state"].ToString());
        Assert.False(q.ContainsKey("code"));
    }

    [Fact]
    public async Task PlainPkceMethod_IsRejected_Rfc7636Section4_2()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl("plain-verifier-that-is-long-enough-to-be-valid-xx", extra: new Dictionary<string, string?> { ["code_challenge_method"] = "plain" }));

        Assert.Equal("invalid_request", QueryHelpers.ParseQuery(response.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task ImplicitResponseType_IsRejected_Rfc9700Section2_1_2()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["response_type"] = "token" }));

        Assert.Equal("unsupported_response_type", QueryHelpers.ParseQuery(response.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task UnknownScope_IsInvalidScope_Rfc6749Section3_3()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["scope"] = "openid admin" }));

        Assert.Equal("invalid_scope", QueryHelpers.ParseQuery(response.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task RepeatedParameter_IsShownNotRedirected_Rfc6749Section3_1()
    {
        var url = OAuthFlows.AuthorizeUrl(Challenge) + "&redirect_uri=" + Uri.EscapeDataString("https://evil.example/cb");

        var (response, _) = await session.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task SuccessfulRedirect_CarriesStateAndIssuer_Rfc9207()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge));

        var q = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("st-123", q["state"].ToString());
        Assert.Equal(LatchkeyServerFactory.Issuer, q["iss"].ToString());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task AllowedWorkspaceId_NotAMember_IsAccessDenied()
    {
        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = "ws_someone_else" }));

        var q = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", q["error"].ToString());
        Assert.Contains("ws_someone_else", q["error_description"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralWorkspaces_AsksWhichOne_ThenCodeCarriesChoice()
    {
        var second = await AddWorkspaceAsync("Acme");
        var verifier = Pkce.CreateVerifier();
        var url = OAuthFlows.AuthorizeUrl(Pkce.ComputeS256Challenge(verifier));

        var (picker, html) = await session.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, picker.StatusCode);
        Assert.Contains("Acme", html, StringComparison.Ordinal);

        var (chosen, _) = await session.SubmitAsync(url, new Dictionary<string, string> { ["workspace_id"] = second });
        var code = QueryHelpers.ParseQuery(chosen.Headers.Location!.Query)["code"].ToString();
        var (_, tokens) = await OAuthFlows.ExchangeAsync(Factory.CreateClient(), code, verifier);
        Latchkey.Protocol.Jwt.JwtCodec.TryDecodeUnverified((string)tokens["id_token"]!, out _, out var claims);
        Assert.Equal(second, (string?)claims[ClaimNames.CodexAuth]![ClaimNames.CodexAccountId]);
    }

    [Fact]
    public async Task SeveralWorkspaces_PostingAWorkspaceNotAllowed_IsRefused()
    {
        await AddWorkspaceAsync("Acme");
        var url = OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = user.WorkspaceId });

        var (response, _) = await session.SubmitAsync(OAuthFlows.AuthorizeUrl(Challenge), new Dictionary<string, string> { ["workspace_id"] = "ws_not_mine" }, postUrl: url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AllowedWorkspaceId_FiltersToSingleWorkspace_SkipsPicker()
    {
        await AddWorkspaceAsync("Acme");

        var (response, _) = await session.GetAsync(OAuthFlows.AuthorizeUrl(Challenge, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = user.WorkspaceId }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("code=", response.Headers.Location!.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkspacePost_WithoutAntiforgeryToken_IsRejected()
    {
        var second = await AddWorkspaceAsync("Acme");

        var (response, _) = await session.PostAsync(OAuthFlows.AuthorizeUrl(Challenge), new Dictionary<string, string> { ["workspace_id"] = second });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    private async Task<string> AddWorkspaceAsync(string name)
    {
        var id = "ws_" + Guid.NewGuid().ToString("N");
        var repo = Factory.Get<WorkspaceRepository>();
        var other = await TestAccounts.CreateEnrolledAsync(Factory);
        await repo.CreateAsync(new WorkspaceRow { Id = id, Name = name, PlanType = "enterprise", CreatedAt = 2 }, other.Id, CancellationToken.None);
        await repo.AddMemberAsync(id, user.Id, "member", 3, CancellationToken.None);
        return id;
    }
}
