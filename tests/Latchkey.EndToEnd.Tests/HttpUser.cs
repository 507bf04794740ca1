using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// A person at a browser, played over plain HTTP against the real server: completes the setup link, signs in with
/// password and TOTP (enrolling on first sign-in), and follows authorize and device-approval pages.
/// </summary>
public sealed partial class HttpUser : IDisposable
{
    private readonly HttpClient client;

    private HttpUser(string baseUrl)
    {
        client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri(baseUrl),
        };
    }

    public string Email { get; private set; } = string.Empty;

    public string Password { get; private init; } = "e2e password " + Guid.NewGuid().ToString("N")[..8];

    public string TotpSecret { get; private set; } = string.Empty;

    private long lastStep;

    /// <summary>Creates the owner through the setup link, then signs in, enrolling TOTP.</summary>
    public static async Task<HttpUser> CreateOwnerAsync(ServerProcess server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var user = new HttpUser(server.Issuer) { Email = $"owner-{Guid.NewGuid():N}@example.com" };
        var link = server.SetupLink ?? throw new InvalidOperationException("No setup link printed:\n" + server.Output);
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var created = await user.SubmitAsync(new Uri(link).PathAndQuery, new() { ["token"] = token, ["email"] = user.Email, ["password"] = user.Password });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);

        await user.EnrollAsync();
        return user;
    }

    /// <summary>A newcomer: creates an account on an invitation page, signs in enrolling TOTP, and accepts the invitation.</summary>
    public static async Task<HttpUser> JoinByInvitationAsync(ServerProcess server, string invitationUrl)
    {
        ArgumentNullException.ThrowIfNull(server);
        var user = new HttpUser(server.Issuer) { Email = $"member-{Guid.NewGuid():N}@example.com" };
        var path = new Uri(invitationUrl).AbsolutePath;
        var registered = await user.SubmitAsync(path, new() { ["email"] = user.Email, ["password"] = user.Password }, path + "?handler=register");
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        await user.EnrollAsync();
        var accepted = await user.SubmitAsync(path, [], path + "?handler=accept");
        Assert.True(accepted.StatusCode == HttpStatusCode.Redirect, await accepted.Content.ReadAsStringAsync());
        return user;
    }

    /// <summary>Creates an account with a password on an invitation page and stops there: no second factor yet.</summary>
    public static async Task<HttpUser> RegisterWithoutMfaAsync(ServerProcess server, string invitationUrl, string email)
    {
        ArgumentNullException.ThrowIfNull(server);
        var user = new HttpUser(server.Issuer) { Email = email };
        var path = new Uri(invitationUrl).AbsolutePath;
        var registered = await user.SubmitAsync(path, new() { ["email"] = user.Email, ["password"] = user.Password }, path + "?handler=register");
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        return user;
    }

    private async Task EnrollAsync()
    {
        var login = await SubmitAsync("/account/login", new() { ["email"] = Email, ["password"] = Password });
        Assert.Equal("/account/mfa-setup", login.Headers.Location!.OriginalString);
        var setupHtml = await client.GetStringAsync(new Uri("/account/mfa-setup", UriKind.Relative));
        TotpSecret = WebUtility.HtmlDecode(ManualKey().Match(setupHtml).Groups[1].Value);
        var enrolled = await PostAsync("/account/mfa-setup", new()
        {
            ["code"] = NextCode(),
            ["protectedSecret"] = Hidden(setupHtml, "protectedSecret"),
            ["__RequestVerificationToken"] = Hidden(setupHtml, "__RequestVerificationToken"),
        });
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
    }

    /// <summary>The same person at another server (e.g. one restored from a backup): same account and authenticator, no cookies.</summary>
    public HttpUser At(ServerProcess server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new HttpUser(server.Issuer) { Email = Email, Password = Password, TotpSecret = TotpSecret, lastStep = lastStep };
    }

    /// <summary>Signs in with the password and a fresh TOTP code, as an enrolled user.</summary>
    public async Task SignInAsync()
    {
        var login = await SubmitAsync("/account/login", new() { ["email"] = Email, ["password"] = Password });
        Assert.Equal("/account/mfa", login.Headers.Location?.OriginalString);
        var mfa = await SubmitAsync("/account/mfa", new() { ["code"] = NextCode() });
        Assert.True(mfa.StatusCode == HttpStatusCode.Redirect, await mfa.Content.ReadAsStringAsync());
    }

    /// <summary>Follows an authorize URL while signed in and returns the loopback callback URL it redirects to.</summary>
    public async Task<string> AuthorizeAsync(string url)
    {
        var response = await client.GetAsync(new Uri(url));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.OriginalString;
    }

    /// <summary>Approves a device code on /device, for <paramref name="workspaceId"/> or the only workspace offered.</summary>
    public async Task ApproveDeviceAsync(string userCode, string? workspaceId = null)
    {
        var lookup = await SubmitAsync("/device", new() { ["user_code"] = userCode }, "/device?handler=lookup");
        var html = await lookup.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        var approved = await PostAsync("/device?handler=decide", new()
        {
            ["user_code"] = userCode,
            ["decision"] = "approve",
            ["workspace_id"] = workspaceId ?? Hidden(html, "workspace_id"),
            ["__RequestVerificationToken"] = Hidden(html, "__RequestVerificationToken"),
        });
        Assert.Contains("Device approved", await approved.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>The first workspace on the user's console page (for an owner: the one they own).</summary>
    public async Task<string> WorkspaceIdAsync()
        => Regex.Match(await client.GetStringAsync(new Uri("/console", UriKind.Relative)), "data-workspace=\"([^\"]+)\"").Groups[1].Value;

    public async Task<string> InviteAsync(string workspaceId, string role)
    {
        var page = $"/console/{workspaceId}/members";
        var response = await SubmitAsync(page, new() { ["email"] = string.Empty, ["role"] = role }, page + "?handler=invite");
        return Value(await response.Content.ReadAsStringAsync(), "invite-url");
    }

    /// <summary>Creates a 30-day access token on the console page and reads it from the page, as its user would.</summary>
    public async Task<(string Id, string Secret)> CreateAccessTokenAsync(string workspaceId, string name)
    {
        var page = $"/console/{workspaceId}/tokens";
        var response = await SubmitAsync(page, new() { ["name"] = name, ["expiration"] = "30d" }, page + "?handler=create");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        return (Regex.Match(html, "data-token=\"([^\"]+)\"").Groups[1].Value, Value(html, "token-value"));
    }

    public async Task RevokeAccessTokenAsync(string workspaceId, string tokenId)
    {
        var page = $"/console/{workspaceId}/tokens";
        var response = await SubmitAsync(page, new() { ["tokenId"] = tokenId }, page + "?handler=revoke");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    /// <summary>Creates a workspace API key on the console page and reads it from the page, as an administrator would.</summary>
    public async Task<(string Id, string Secret)> CreateApiKeyAsync(string workspaceId, string name)
    {
        var page = $"/console/{workspaceId}/api-keys";
        var response = await SubmitAsync(page, new() { ["name"] = name }, page + "?handler=create");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        var secret = Value(html, "key-value");
        return (Regex.Matches(html, "data-key=\"([^\"]+)\"")[^1].Groups[1].Value, secret);
    }

    public async Task RevokeApiKeyAsync(string workspaceId, string keyId)
    {
        var page = $"/console/{workspaceId}/api-keys";
        var response = await SubmitAsync(page, new() { ["keyId"] = keyId }, page + "?handler=revoke");
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, response.StatusCode.ToString());
    }

    /// <summary>Saves the policies form: checkboxes named in <paramref name="on"/> are ticked, the others not.</summary>
    public async Task SetPoliciesAsync(string workspaceId, params string[] on)
    {
        var page = $"/console/{workspaceId}/policies";
        var fields = on.ToDictionary(name => name, _ => "true");
        var response = await SubmitAsync(page, fields);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static string Value(string html, string id)
    {
        var m = Regex.Match(html, $"id=\"{Regex.Escape(id)}\"[^>]*value=\"([^\"]*)\"");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"No #{id} in page: {html[..Math.Min(html.Length, 500)]}");
    }

    public string NextCode()
    {
        // Codes are single-use per 30 s step (the server enforces it): wait for a fresh step when the last one is spent.
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        while (step <= lastStep)
        {
            Thread.Sleep(500);
            step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        }

        lastStep = step;
        return Totp(Base32Decode(TotpSecret), step);
    }

    private async Task<HttpResponseMessage> SubmitAsync(string pageUrl, Dictionary<string, string> fields, string? postUrl = null)
    {
        var html = await client.GetStringAsync(new Uri(pageUrl, UriKind.Relative));
        fields["__RequestVerificationToken"] = Hidden(html, "__RequestVerificationToken");
        return await PostAsync(postUrl ?? pageUrl, fields);
    }

    private async Task<HttpResponseMessage> PostAsync(string url, Dictionary<string, string> fields)
    {
        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync(new Uri(url, UriKind.Relative), content);
    }

    private static string Hidden(string html, string name)
    {
        var m = Regex.Match(html, $"name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"");
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"No {name} in page");
    }

    // An independent RFC 6238 implementation (the server's own is not used here).
    private static string Totp(byte[] key, long step)
    {
        var counter = BitConverter.GetBytes(step);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(counter);
        }

#pragma warning disable CA5350 // RFC 6238 is HMAC-SHA1.
        var hash = HMACSHA1.HashData(key, counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0xF;
        var value = ((hash[offset] & 0x7F) << 24 | hash[offset + 1] << 16 | hash[offset + 2] << 8 | hash[offset + 3]) % 1_000_000;
        return value.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32Decode(string s)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(s.TrimEnd('=').Select(c => Convert.ToString(alphabet.IndexOf(c, StringComparison.Ordinal), 2).PadLeft(5, '0')));
        return Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.Substring(i * 8, 8), 2)).ToArray();
    }

    [GeneratedRegex("id=\"manual-key\">([^<]+)<")]
    private static partial Regex ManualKey();

    public void Dispose() => client.Dispose();
}
