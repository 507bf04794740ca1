namespace Latchkey.Server.Configuration;

/// <summary>
/// `Latchkey:Metrics`: the Prometheus scrape endpoint. Off until a port is set; then `/metrics` is served only on
/// that port, on its own listener (loopback by default), and never on the public one.
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>Port of the metrics listener. Null (the default): no metrics listener, nothing collected.</summary>
    public int? Port { get; set; }

    /// <summary>Address of the metrics listener. Loopback by default: let only the local Prometheus agent scrape.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";
}
