namespace Latchkey.Server.Gateway;

/// <summary>What one gateway request came to, filled in as it goes: recorded as the usage event and in the metrics.</summary>
public sealed class GatewayExchange
{
    public string? Upstream { get; set; }

    public string? Model { get; set; }

    /// <summary>`forwarded`, or the code of the refusal or failure.</summary>
    public string Outcome { get; set; } = "forwarded";

    public long BytesIn { get; set; }

    public long BytesOut { get; set; }
}
