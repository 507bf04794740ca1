namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// One measured workload on one server: throughput, latency percentiles, errors and the server's cost; <c>JitShare</c> is
/// the part of that CPU its runtime spent re-compiling code (.NET tiering), which a warm server no longer pays;
/// <c>DatabaseCpuSecondsPer1000</c> what its database's own processes (PostgreSQL) spent besides, null when it has none.
/// </summary>
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
    string? FirstError,
    double JitShare = 0,
    double? DatabaseCpuSecondsPer1000 = null)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
}
