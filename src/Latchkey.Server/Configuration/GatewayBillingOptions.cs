namespace Latchkey.Server.Configuration;

/// <summary>Which OpenAI organisation and project pay for one workspace's requests on one upstream.</summary>
public sealed class GatewayBillingOptions
{
    public string? Organization { get; set; }

    public string? Project { get; set; }
}
