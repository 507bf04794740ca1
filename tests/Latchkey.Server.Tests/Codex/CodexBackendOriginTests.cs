using Latchkey.Server.Configuration;

namespace Latchkey.Server.Tests.Codex;

/// <summary>
/// The workspace backend origin codex app-server accepts: https, a host, no credentials, no path, query or fragment
/// (codex 0.169.0 ends the sign-in with "workspace backend must use an HTTPS origin without credentials" otherwise).
/// </summary>
public sealed class CodexBackendOriginTests
{
    [Theory]
    [InlineData("https://latchkey.example.com:8443/", null, "https://latchkey.example.com:8443")]
    [InlineData("https://latchkey.example.com/base", null, "https://latchkey.example.com")]
    [InlineData("http://127.0.0.1:5000", "https://latchkey.example.com", "https://latchkey.example.com")]
    public void The_origin_is_the_setting_else_the_issuers_origin(string issuer, string? setting, string expected)
    {
        var options = new CodexOptions { WorkspaceBackendOrigin = setting };

        var origin = options.ResolveWorkspaceBackendOrigin(issuer);

        Assert.Equal(expected, origin);
        Assert.True(CodexOptions.IsCodexBackendOrigin(origin));
    }

    [Theory]
    [InlineData("http://latchkey.example.com")]
    [InlineData("https://user:pw@latchkey.example.com")]
    [InlineData("https://latchkey.example.com/backend-api")]
    [InlineData("https://latchkey.example.com/?x=1")]
    [InlineData(" https://latchkey.example.com")]
    [InlineData("latchkey.example.com")]
    public void A_setting_codex_would_refuse_stops_the_server_at_start_up(string setting)
    {
        var options = new LatchkeyServerOptions { Issuer = "http://127.0.0.1:5000" };
        options.Codex.WorkspaceBackendOrigin = setting;

        var result = new LatchkeyServerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Latchkey:Codex:WorkspaceBackendOrigin", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_https_origin_setting_is_accepted()
    {
        var options = new LatchkeyServerOptions { Issuer = "http://127.0.0.1:5000" };
        options.Codex.WorkspaceBackendOrigin = "https://latchkey.example.com";

        Assert.False(new LatchkeyServerOptionsValidator().Validate(null, options).Failed);
    }
}
