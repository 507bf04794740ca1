using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.OAuth;

public sealed class DiscoveryTests : ServerTest
{
    [Theory]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/oauth-authorization-server")]
    public async Task Metadata_AdvertisesWhatIsImplemented_Rfc8414Section2(string path)
    {
        var doc = JsonNode.Parse(await Factory.CreateClient().GetStringAsync(new Uri(path, UriKind.Relative)))!;

        Assert.Equal(LatchkeyServerFactory.Issuer, (string?)doc["issuer"]);
        Assert.Equal(["S256"], doc["code_challenge_methods_supported"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["code"], doc["response_types_supported"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["ES256"], doc["id_token_signing_alg_values_supported"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(LatchkeyServerFactory.Issuer + "/oauth/device_authorization", (string?)doc["device_authorization_endpoint"]);
        Assert.True((bool)doc["authorization_response_iss_parameter_supported"]!);
    }

    [Fact]
    public async Task Jwks_PublishesOnlyPublicEcKeys()
    {
        var jwks = JsonNode.Parse(await Factory.CreateClient().GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)))!;
        var key = jwks["keys"]!.AsArray().Single()!;

        Assert.Equal("EC", (string?)key["kty"]);
        Assert.Equal("P-256", (string?)key["crv"]);
        Assert.Equal("ES256", (string?)key["alg"]);
        Assert.Null(key["d"]);
    }

    [Fact]
    public async Task Stylesheet_IsServedFromTheAssembly()
    {
        var response = await Factory.CreateClient().GetAsync(new Uri("/css/site.css", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("font", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
