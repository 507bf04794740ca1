namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>One measured workload on one server: throughput, latency percentiles, errors and the server's cost.</summary>
public sealed record Measurement(
    string Work,
    string Target,
    int Concurrency,
    long Requests,
    long Errors,
    double Seconds,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long SlowRequests,
    double CpuSecondsPer1000,
    double PeakRssMb,
    string? FirstError)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
}
