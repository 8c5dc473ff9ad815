using System.Globalization;
using System.Text;

namespace InferenceServer.Bench;

/// <summary>Markdown tables and number formats shared by the commands that measure load levels.</summary>
internal static class ReportTables
{
    /// <summary>Three significant digits or so: 1234, 12.3, 1.23; "–" for NaN.</summary>
    public static string F(double x) => double.IsNaN(x) ? "–" : x.ToString(x >= 100 ? "F0" : x >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    /// <summary><c>a / b</c> followed by both values: "0.95 (420 / 442)".</summary>
    public static string Ratio(double a, double b) => $"{a / b:F2} ({F(a)} / {F(b)})";

    public static void AppendTable(StringBuilder md, string title, IEnumerable<LevelResult> results)
    {
        md.AppendLine($"### {title}").AppendLine();
        md.AppendLine("| target | concurrency | requests | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | TPOT p50 ms | TPOT p99 ms | e2e p50 ms | e2e p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            md.AppendLine($"| {r.Target} | {r.Concurrency} | {r.Requests.Count} | {F(r.OutputTokensPerSecond)} | {r.RequestsPerSecond:F2} | " +
                          $"{F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.Tpot.PercentileMs(50))} | {F(r.Tpot.PercentileMs(99))} | " +
                          $"{F(r.E2e.PercentileMs(50))} | {F(r.E2e.PercentileMs(99))} |");
        md.AppendLine();
    }
}
