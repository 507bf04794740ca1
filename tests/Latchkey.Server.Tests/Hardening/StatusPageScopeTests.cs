using System.Net;
using System.Net.Http.Headers;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>Status-code pages are for people on pages; protocol and API answers reach their clients as written.</summary>
public sealed class StatusPageScopeTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    // RFC 6750 §3.1: a request with an invalid token gets 401 and `WWW-Authenticate: Bearer error="invalid_token"`.
    // POST once became the status page's anti-forgery 400 with no body.
    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task UserInfo_BadToken_Is401WithInvalidTokenChallenge_Rfc6750Section3_1(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string>());
        }

        using var response = await fixture.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UserInfo_PostWithoutToken_Is401WithBearerChallenge_Rfc6750Section3()
    {
        using var response = await fixture.Client().PostAsync(new Uri("/oauth/userinfo", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Theory]
    [InlineData("/api/v1/no-such-thing")]
    [InlineData("/oauth/no-such-thing")]
    public async Task UnknownApiUrl_FromAProgram_IsNotAnHtmlPage(string path)
    {
        using var response = await fixture.Client().GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownUrl_FromABrowser_GetsTheReadablePage()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");

        using var response = await fixture.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("id=\"not-found\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
