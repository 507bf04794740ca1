using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Tests.Fakes;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>One server and one signed-in owner shared by the malformed-input tests: none of them changes settings or the clock.</summary>
public sealed class HardeningFixture : IAsyncLifetime
{
    public LatchkeyServerFactory Factory { get; private set; } = null!;

    public Team Team { get; private set; } = null!;

    /// <summary>The owner's real sign-in access token (an ES256 JWT).</summary>
    public string AccessToken => Team.Members["owner"].AccessToken;

    private FakeResponsesUpstream upstream = null!;

    public async ValueTask InitializeAsync()
    {
        // A gateway upstream, so gateway requests with a good credential are answered by it rather than by a 503.
        upstream = await FakeResponsesUpstream.StartAsync();
        upstream.EventDelay = TimeSpan.Zero;
        Factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
        {
            ["Latchkey:Gateway:UpstreamBaseUrl"] = upstream.BaseUrl,
            ["Latchkey:Gateway:UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
        });
        Team = await Team.CreateAsync(Factory);
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await upstream.DisposeAsync();
    }

    /// <summary>The owner's token with its header or payload rewritten as raw JSON text (the signature no longer matches).</summary>
    public string RewrittenToken(string? headerJson = null, string? payloadJson = null)
    {
        var parts = AccessToken.Split('.');
        if (headerJson is not null)
        {
            parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson));
        }

        if (payloadJson is not null)
        {
            parts[1] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        }

        return string.Join('.', parts);
    }

    public HttpClient Client(string? bearer = null)
    {
        var client = Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        return client;
    }

    public static ByteArrayContent Raw(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static ByteArrayContent Raw(string body, string contentType) => Raw(Encoding.UTF8.GetBytes(body), contentType);

    public static string BasicAuth(string id, string secret)
        => new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}"))).ToString();
}
