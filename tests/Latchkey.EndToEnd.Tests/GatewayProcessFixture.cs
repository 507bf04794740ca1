using Latchkey.Tests.Fakes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>One real server process in front of one recording upstream, and an `at-` token, shared by the gateway process tests.</summary>
public sealed class GatewayProcessFixture : IAsyncLifetime
{
    public FakeResponsesUpstream Upstream { get; private set; } = null!;

    public ServerProcess Server { get; private set; } = null!;

    public string AccessToken { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeResponsesUpstream.StartAsync();
        Server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Gateway__UpstreamBaseUrl"] = Upstream.BaseUrl,
            ["Latchkey__Gateway__UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
            ["Latchkey__Gateway__RequestsPerMinutePerCaller"] = "1000000",
            ["Latchkey__RateLimits__SignInPerMinute"] = "1000",
        });
        using var owner = await HttpUser.CreateOwnerAsync(Server);
        var workspace = await owner.WorkspaceIdAsync();
        await owner.SetPoliciesAsync(workspace, "local_access_enabled", "device_sign_in_enabled", "member_access_tokens_enabled");
        AccessToken = (await owner.CreateAccessTokenAsync(workspace, "gateway probe")).Secret;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
