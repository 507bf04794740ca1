using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>
/// /healthz says the process lives; /readyz says it can serve (database, migrations, signing key). With the database
/// gone, /readyz fails and requests that need it answer 503 with Retry-After instead of 500: RFC 6749 §5.2
/// `temporarily_unavailable` on OAuth endpoints, RFC 9457 problem details on the API, a page for browsers.
/// </summary>
public sealed class HealthTests
{
    [Fact]
    public async Task DatabaseGone_ReadyzFails_OAuthApiAndPagesAnswer503WithRetryAfter_ThenRecover()
    {
        var parent = Directory.CreateTempSubdirectory("latchkey-outage-").FullName;
        var dataDirectory = Path.Combine(parent, "data");
        await using var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var factory = new LatchkeyServerFactory(db, new Dictionary<string, string?>
        {
            ["Latchkey:DataDirectory"] = dataDirectory,
            ["Latchkey:Database:ConnectionString"] = "", // {DataDirectory}/latchkey.db, so moving the directory takes it away
        }, ownsDatabase: false);
        var (_, tokens) = await OAuthFlows.SignInAndGetTokensAsync(factory);
        var client = factory.CreateClient();
        Assert.Equal("ok", await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal("ok", await client.GetStringAsync(new Uri("/readyz", UriKind.Relative)));

        ((SqliteConnectionFactory)factory.Connections.Inner).ClearPool(); // else the pooled connections keep the moved file open
        Directory.Move(dataDirectory, dataDirectory + ".away");
        try
        {
            var healthz = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
            var readyz = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
            var (tokenStatus, tokenBody, tokenRetry) = await SendAsync(client, new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = (string)tokens["refresh_token"]!, ["client_id"] = OAuthFlows.CliClient }),
            });
            var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (string)tokens["access_token"]!);
            var (apiStatus, apiBody, apiRetry) = await SendAsync(client, api);
            var (pageStatus, pageBody, _) = await SendAsync(client, new HttpRequestMessage(HttpMethod.Get, "/invite/some-invitation-token"));

            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, tokenStatus);
            Assert.Equal("temporarily_unavailable", (string?)JsonNode.Parse(tokenBody)!["error"]);
            Assert.Equal("5", tokenRetry);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, apiStatus);
            Assert.Equal("database_unavailable", (string?)JsonNode.Parse(apiBody)!["code"]);
            Assert.Equal("5", apiRetry);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, pageStatus);
            Assert.Contains("Temporarily unavailable", pageBody, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Move(dataDirectory + ".away", dataDirectory);
        }

        Assert.Equal("ok", await client.GetStringAsync(new Uri("/readyz", UriKind.Relative)));
        ((SqliteConnectionFactory)factory.Connections.Inner).ClearPool();
        Directory.Delete(parent, recursive: true);
    }

    private static async Task<(HttpStatusCode Status, string Body, string? RetryAfter)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.ToString());
        }
    }
}
