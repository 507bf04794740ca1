using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>A cookie-keeping, non-redirecting client that fills in forms as a browser would (antiforgery included).</summary>
public sealed partial class WebSession : IDisposable
{
    public WebSession(WebApplicationFactory<Program> factory, Uri? baseAddress = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Client = factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = baseAddress ?? new Uri("http://localhost"),
        });
    }

    public HttpClient Client { get; }

    /// <summary>The last session cookie the server set, as an attacker who copied it from this browser would hold it.</summary>
    public string? SessionCookie { get; private set; }

    public async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url)
    {
        var response = await Client.GetAsync(new Uri(url, UriKind.RelativeOrAbsolute));
        NoteSessionCookie(response);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Loads <paramref name="pageUrl"/>, takes its antiforgery token, and posts the fields to it (or to <paramref name="postUrl"/>).</summary>
    public async Task<(HttpResponseMessage Response, string Body)> SubmitAsync(string pageUrl, IDictionary<string, string> fields, string? postUrl = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var (page, html) = await GetAsync(pageUrl);
        var token = Hidden(html, "__RequestVerificationToken")
            ?? throw new InvalidOperationException($"No antiforgery token on {pageUrl} ({(int)page.StatusCode}): {html[..Math.Min(html.Length, 400)]}");
        return await PostAsync(postUrl ?? pageUrl, new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token });
    }

    public async Task<(HttpResponseMessage Response, string Body)> PostAsync(string url, IDictionary<string, string> fields)
    {
        using var content = new FormUrlEncodedContent(fields);
        var response = await Client.PostAsync(new Uri(url, UriKind.RelativeOrAbsolute), content);
        NoteSessionCookie(response);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A separate client that sends only <paramref name="sessionCookie"/>: a copy of the cookie used elsewhere.</summary>
    public static HttpClient WithCopiedCookie(WebApplicationFactory<Program> factory, string sessionCookie)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", "latchkey.session=" + sessionCookie);
        return client;
    }

    private void NoteSessionCookie(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return;
        }

        foreach (var cookie in cookies.Where(c => c.StartsWith("latchkey.session=", StringComparison.Ordinal)))
        {
            var value = cookie["latchkey.session=".Length..].Split(';')[0];
            if (value.Length > 0)
            {
                SessionCookie = value;
            }
        }
    }

    public static string? Hidden(string html, string name)
    {
        ArgumentNullException.ThrowIfNull(html);
        var m = Regex.Match(html, $"name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"");
        if (!m.Success)
        {
            m = Regex.Match(html, $"value=\"([^\"]*)\"[^>]*name=\"{Regex.Escape(name)}\"");
        }

        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    public static string? Element(string html, string id)
    {
        var m = Regex.Match(html, $"id=\"{Regex.Escape(id)}\"[^>]*>([^<]*)<");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    public void Dispose() => Client.Dispose();
}
