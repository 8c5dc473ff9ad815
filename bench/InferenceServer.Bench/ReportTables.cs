using System.Globalization;
using System.Text;

namespace InferenceServer.Bench;

/// <summary>Markdown tables and number formats shared by the commands that measure load levels.</summary>
internal static class ReportTables
{
    /// <summary>Three significant digits or so: 1234, 12.3, 1.23; "–" for NaN.</summary>
    public static string F(double x) => double.IsNaN(x) ? "–" : x.ToString(x >= 100 ? "F0" : x >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    /// <summary><c>a / b</c> followed by both values: "0.95 (420 / 442)"; "–" when either is missing.</summary>
    public static string Ratio(double a, double b) => double.IsNaN(a / b) ? "–" : $"{a / b:F2} ({F(a)} / {F(b)})";

    /// <summary>The ratio of <paramref name="metric"/> of two levels; "–" when either did not finish.</summary>
    public static string Ratio(LevelResult a, LevelResult b, Func<LevelResult, double> metric, bool withValues = true) =>
        a.Unfinished is not null || b.Unfinished is not null ? "–"
        : withValues ? Ratio(metric(a), metric(b)) : F(metric(a) / metric(b));

    /// <summary>
    /// One row per pair of levels: this server's over the peer's output tokens/s, TTFT p50 and p99 and TPOT p50 (above 1
    /// is better for throughput, below 1 for latencies).
    /// </summary>
    public static void AppendRatios(StringBuilder md, string title, IEnumerable<(string Scenario, LevelResult Ours, LevelResult Peer)> pairs)
    {
        md.AppendLine($"### {title}").AppendLine();
        md.AppendLine("Ratios of this server's numbers over the peer's, then both numbers: throughput above 1 and latencies below 1 favour this server.")
            .AppendLine();
        md.AppendLine("| prompt/output tokens | concurrency | output tok/s | TTFT p50 ms | TTFT p99 ms | TPOT p50 ms |").AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (scenario, ours, peer) in pairs)
            md.AppendLine($"| {scenario} | {ours.Concurrency} | {Ratio(ours, peer, r => r.OutputTokensPerSecond)} | {Ratio(ours, peer, r => r.Ttft.PercentileMs(50))} | " +
                          $"{Ratio(ours, peer, r => r.Ttft.PercentileMs(99))} | {Ratio(ours, peer, r => r.Tpot.PercentileMs(50))} |");
        md.AppendLine();
    }

    public static void AppendTable(StringBuilder md, string title, IEnumerable<LevelResult> results)
    {
        md.AppendLine($"### {title}").AppendLine();
        md.AppendLine("| target | concurrency | requests | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | TPOT p50 ms | TPOT p99 ms | e2e p50 ms | e2e p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            md.AppendLine(r.Unfinished is { } why ? $"| {r.Target} | {r.Concurrency} | {r.Requests.Count} | {why} |{string.Concat(Enumerable.Repeat(" – |", 7))}" :
                          $"| {r.Target} | {r.Concurrency} | {r.Requests.Count} | {F(r.OutputTokensPerSecond)} | {r.RequestsPerSecond:F2} | " +
                              $"{F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.Tpot.PercentileMs(50))} | {F(r.Tpot.PercentileMs(99))} | " +
                              $"{F(r.E2e.PercentileMs(50))} | {F(r.E2e.PercentileMs(99))} |");
        md.AppendLine();
    }
}
