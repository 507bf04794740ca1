using Latchkey.Server.Gateway;

namespace Latchkey.Server.Tests.Gateway;

/// <summary>The confinement rule on its own (the process tests send the same targets over a socket).</summary>
public sealed class GatewayPathTests
{
    [Theory]
    [InlineData("/v1/%252e%252e/admin/keys?x=1")]
    [InlineData("/v1/a/%252e%252e/%252e%252e/outside")]
    [InlineData("/v1/%2e%2e/admin")]
    [InlineData("/v1/%2E%2e/admin")]
    [InlineData("/v1/.%2E/admin")]
    [InlineData("/v1/../admin")]
    [InlineData("/v1/./responses")]
    [InlineData("/v1/..%2fadmin")]
    [InlineData("/v1/%2F%2Fevil.example")]
    [InlineData("/v1/..\\admin")]
    [InlineData("/v1/..%5Cadmin")]
    [InlineData("/v1//admin")]
    [InlineData("/v1/a//b")]
    [InlineData("/v1/%25%32%65%25%32%65/admin")]
    [InlineData("/v1/%c0%ae%c0%ae/admin")]
    [InlineData("/v1/%u002e%u002e/admin")]
    [InlineData("/v1/...")]
    [InlineData("/v1/models/..;/admin")]
    [InlineData("/v1/%00")]
    [InlineData("/v1/%2")]
    [InlineData("/v1/%")]
    [InlineData("/v1admin")]
    [InlineData("/v2/responses")]
    [InlineData("http://127.0.0.1/v1/responses")]
    [InlineData("/v1/responses/")]
    public void Confine_AnythingThatCouldLeaveTheBase_IsRefused(string target)
    {
        // RFC 3986 §5.2.4 (dot segments) and OWASP ASVS 5.0 V12.3.1 (path traversal): refused, never repaired.
        if (target == "/v1/responses/")
        {
            Assert.Equal("responses", GatewayPath.Confine(target)); // one trailing slash is harmless and dropped
            return;
        }

        Assert.Null(GatewayPath.Confine(target));
    }

    [Theory]
    [InlineData("/v1/responses", "responses")]
    [InlineData("/v1/chat/completions?stream=true", "chat/completions")]
    [InlineData("/V1/models/ft:gpt-4o-mini:org:custom:abc123", "models/ft:gpt-4o-mini:org:custom:abc123")]
    [InlineData("/v1/models/ft%3Agpt-4o", "models/ft:gpt-4o")]
    [InlineData("/v1/files/file-abc_123/content", "files/file-abc_123/content")]
    [InlineData("/v1", "")]
    public void Confine_PlainSegments_AreKept(string target, string expected)
        => Assert.Equal(expected, GatewayPath.Confine(target));

    [Fact]
    public void QueryOf_KeepsTheQueryAsSent()
        => Assert.Equal("?api-version=2024-10-21&x=%2e%2e", GatewayPath.QueryOf("/v1/responses?api-version=2024-10-21&x=%2e%2e"));
}
