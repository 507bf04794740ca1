using System.Globalization;
using System.Text;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>The markdown the bench writes into bench/README.md (between its result markers) and artifacts/bench/results.md.</summary>
public sealed class BenchReport
{
    public const string Peer = "oidc-provider";
    private const string Begin = "<!-- bench-results:begin -->";
    private const string End = "<!-- bench-results:end -->";

    public List<Measurement> Measurements { get; } = [];

    public List<(long Grants, Measurement Refresh, double SeedSeconds)> Growth { get; } = [];

    public List<(string Build, double[] Milliseconds)> ColdStarts { get; } = [];

    public List<string> Notes { get; } = [];

    public string Render(string header)
    {
        var s = new StringBuilder();
        s.AppendLine(Begin).AppendLine(header).AppendLine();
        s.AppendLine("| Work | Server | req/s | p50 ms | p99 ms | max ms | ≥ 1 s | errors | CPU-s / 1k req | of it JIT | + database CPU-s / 1k | peak RSS MB | req/s × oidc-provider |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in Measurements)
        {
            var peer = Measurements.FirstOrDefault(p => p.Work == m.Work && p.Target == Peer);
            var ratio = peer is null || m.Target == Peer || peer.RequestsPerSecond == 0 ? string.Empty : F(m.RequestsPerSecond / peer.RequestsPerSecond, "0.00") + "×";
            s.AppendLine(CultureInfo.InvariantCulture, $"| {m.Work} | {m.Target} | {F(m.RequestsPerSecond, "0")} | {F(m.P50Ms, "0.0")} | {F(m.P99Ms, "0.0")} | {F(m.MaxMs, "0")} | {m.SlowRequests} | {m.Errors} | {F(m.CpuSecondsPer1000, "0.00")} | {(m.Target == Peer ? "" : F(m.JitShare * 100, "0.0") + " %")} | {(m.DatabaseCpuSecondsPer1000 is { } db ? F(db, "0.00") : "")} | {F(m.PeakRssMb, "0")} | {ratio} |");
        }

        if (Growth.Count > 0)
        {
            s.AppendLine().AppendLine("Growth (Latchkey on SQLite, refresh grants at 16 chains, grants seeded straight into the file):").AppendLine();
            s.AppendLine("| stored grants | req/s | p50 ms | p99 ms | max ms | errors | seeding s |").AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (grants, m, seed) in Growth)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| {grants:N0} | {F(m.RequestsPerSecond, "0")} | {F(m.P50Ms, "0.0")} | {F(m.P99Ms, "0.0")} | {F(m.MaxMs, "0")} | {m.Errors} | {F(seed, "0")} |");
            }
        }

        if (ColdStarts.Count > 0)
        {
            s.AppendLine().AppendLine("Server cold start (process start to the first answered `GET /healthz`, fresh SQLite directory, pinned core):").AppendLine();
            s.AppendLine("| build | runs | min ms | median ms | max ms |").AppendLine("|---|---:|---:|---:|---:|");
            foreach (var (build, ms) in ColdStarts)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| {build} | {ms.Length} | {F(ms[0], "0")} | {F(ms[ms.Length / 2], "0")} | {F(ms[^1], "0")} |");
            }
        }

        foreach (var note in Notes)
        {
            s.AppendLine().AppendLine(note);
        }

        return s.AppendLine(End).ToString();
    }

    /// <summary>Replaces the results section of <paramref name="readme"/> (or appends one).</summary>
    public static void WriteInto(string readme, string rendered)
    {
        var text = File.Exists(readme) ? File.ReadAllText(readme) : string.Empty;
        var (from, to) = (text.IndexOf(Begin, StringComparison.Ordinal), text.IndexOf(End, StringComparison.Ordinal));
        text = from >= 0 && to > from ? text[..from] + rendered.TrimEnd('\n') + text[(to + End.Length)..] : text + "\n" + rendered;
        File.WriteAllText(readme, text);
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
