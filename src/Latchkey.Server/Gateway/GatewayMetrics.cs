using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Latchkey.Server.Gateway;

/// <summary>
/// The gateway's instruments on the `Latchkey.Gateway` meter. Tags are bounded: the upstream's configured name, the
/// status answered, and the outcome (forwarded or a refusal code) — never a caller-chosen string such as the model.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Latchkey.Gateway";

    private readonly Counter<long> requests;
    private readonly Histogram<double> duration;
    private readonly Counter<long> bytes;
    private readonly UpDownCounter<long> active;

    public GatewayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        requests = meter.CreateCounter<long>("latchkey.gateway.requests", "{request}", "Gateway requests by upstream, status and outcome.");
        duration = meter.CreateHistogram<double>("latchkey.gateway.request.duration", "s", "Time from the request's arrival to the end of the answer.");
        bytes = meter.CreateCounter<long>("latchkey.gateway.bytes", "By", "Body bytes through the gateway, by direction (request = to the upstream, response = to the caller).");
        active = meter.CreateUpDownCounter<long>("latchkey.gateway.active_requests", "{request}", "Requests being forwarded now.");
    }

    public void Started() => active.Add(1);

    public void Ended() => active.Add(-1);

    public void Record(string? upstream, int status, string outcome, long bytesIn, long bytesOut, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "latchkey.gateway.upstream", upstream ?? "none" },
            { "http.response.status_code", status },
            { "latchkey.gateway.outcome", outcome },
        };
        requests.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, tags);
        var name = new KeyValuePair<string, object?>("latchkey.gateway.upstream", upstream ?? "none");
        bytes.Add(bytesIn, name, new KeyValuePair<string, object?>("latchkey.gateway.direction", "request"));
        bytes.Add(bytesOut, name, new KeyValuePair<string, object?>("latchkey.gateway.direction", "response"));
    }
}
