using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Latchkey.Server.Common;

/// <summary>
/// The `Latchkey.Server` meter: security and traffic counters an operator alerts on, and database latency.
/// Exported (with every other `Latchkey.*` meter) on the metrics listener; see docs/operations.md. Tags carry only
/// small fixed sets of values (outcomes, grant types, kinds), never an identifier or a secret.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "Latchkey.Server";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> SignIns = Meter.CreateCounter<long>(
        "latchkey.sign_ins", "{sign_in}", "Interactive sign-ins by outcome: succeeded, failed (password), locked_out.");

    private static readonly Counter<long> MfaFailures = Meter.CreateCounter<long>(
        "latchkey.mfa.failures", "{attempt}", "Second-factor codes refused.");

    private static readonly Counter<long> Lockouts = Meter.CreateCounter<long>(
        "latchkey.lockouts", "{lockout}", "Lockouts started after too many failures, by kind: password or mfa.");

    private static readonly Counter<long> TokenGrants = Meter.CreateCounter<long>(
        "latchkey.token.grants", "{grant}", "Successful /oauth/token responses by grant_type.");

    private static readonly Counter<long> RefreshReuse = Meter.CreateCounter<long>(
        "latchkey.refresh_token.reuse_detections", "{detection}", "Refresh tokens used again (RFC 9700 §4.14): each revoked a grant family.");

    private static readonly Counter<long> CodeReplays = Meter.CreateCounter<long>(
        "latchkey.authorization_code.replays", "{replay}", "Authorization codes presented a second time (RFC 6749 §4.1.2).");

    private static readonly Counter<long> Revocations = Meter.CreateCounter<long>(
        "latchkey.revocations", "{revocation}", "Revocations by kind: grant, access_token, api_key.");

    private static readonly Counter<long> DeviceFlows = Meter.CreateCounter<long>(
        "latchkey.device_flows", "{flow}", "Device authorization (RFC 8628) steps: started, approved, denied.");

    private static readonly Histogram<double> DatabaseDuration = Meter.CreateHistogram(
        "latchkey.db.operation.duration", "s", "Time one repository operation holds a database connection: open (pool and lock waits), statements, commit.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] });

    public static void SignIn(string outcome) => SignIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void MfaFailed() => MfaFailures.Add(1);

    public static void LockoutStarted(string kind) => Lockouts.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public static void TokenGranted(string grantType) => TokenGrants.Add(1, new KeyValuePair<string, object?>("grant_type", grantType));

    public static void RefreshTokenReused() => RefreshReuse.Add(1);

    public static void AuthorizationCodeReplayed() => CodeReplays.Add(1);

    public static void Revoked(string kind) => Revocations.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public static void DeviceFlow(string stage) => DeviceFlows.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public static void DatabaseOperation(string engine, long startTimestamp)
        => DatabaseDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("engine", engine));
}
