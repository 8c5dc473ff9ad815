using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Bench;

/// <summary>
/// The soak's markdown report: verdict, requests by kind, tokens and latencies, determinism, errors, server memory
/// over time (table, and a PNG with <c>--out</c>), KV blocks. Failing requests and mismatches go in full to a JSON-lines
/// findings file, so each can be replayed with curl.
/// </summary>
internal static class SoakReport
{
    /// <summary>In an existing <c>--out</c> file, everything below this line is replaced by the new report.</summary>
    public const string Marker = "<!-- soak results: written by `bench soak --out`, everything below this line is replaced -->";

    private const int RssTableRows = 12;

    /// <summary>Prints the report, writes it to <paramref name="output"/> if given; returns the exit code (1: a check failed).</summary>
    public static int Write(SoakRun run, string? output)
    {
        string stem = output is null ? Path.Combine(Path.GetTempPath(), $"inference-server-soak-{Environment.ProcessId}")
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + "-soak");
        string? findings = WriteFindings(run, stem + "-findings.jsonl");
        string? plot = output is not null && run.Rss.Count > 1 ? WritePlot(run, stem + "-rss.png") : null;
        var md = new StringBuilder();
        // Beside the report it is named relative to it, so the committed report points at the committed file.
        AppendSummary(md, run, output is not null && findings is not null ? Path.GetFileName(findings) : findings);
        AppendRequests(md, run);
        AppendDeterminism(md, run);
        AppendErrors(md, run);
        AppendMemory(md, run, plot is null ? null : Path.GetFileName(plot));
        AppendBlocks(md, run);
        AppendServerLog(md, run);
        Console.Write(md.ToString());
        if (output is not null)
            Save(output, md.ToString());
        return run.Failures.Count == 0 ? 0 : 1;
    }

    private static void AppendSummary(StringBuilder md, SoakRun run, string? findings)
    {
        var failures = run.Failures;
        md.AppendLine($"**Soak {(failures.Count == 0 ? "passed" : "FAILED")}**: {string.Join("; ", failures.DefaultIfEmpty("0 mismatches, 0 errors besides deliberate disconnects, no KV block held when idle"))}.")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {MarkdownReport.Machine()}")
            .AppendLine($"- Server: {run.Target}")
            .AppendLine($"- Command: `dotnet run -c Release --project bench/InferenceServer.Bench -- {run.Command}`")
            .AppendLine($"- {run.Concurrency} clients for {run.Minutes:0.##} min (load phase took {run.LoadTime.TotalMinutes:F1} min with the last requests; " +
                        $"whole soak {run.TotalTime.TotalMinutes:F1} min), seed {run.Seed}, {run.PoolSize} deterministic requests in the pool");
        if (findings is not null)
            md.AppendLine($"- Failing requests and mismatches in full (endpoint and body, for a repro): `{findings}`");
        md.AppendLine();
    }

    private static void AppendRequests(StringBuilder md, SoakRun run)
    {
        var t = run.Tally;
        double seconds = run.LoadTime.TotalSeconds;
        md.AppendLine("#### Requests (load phase)").AppendLine()
            .AppendLine("A request counts under every kind it has.").AppendLine()
            .AppendLine("| kind | sent | completed | disconnected on purpose | failed |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (kind, c) in t.Kinds)
            md.AppendLine($"| {kind} | {c[0]} | {c[1]} | {c[2]} | {c[3]} |");
        int disconnected = t.NumDisconnectedBeforeFirstToken + t.NumDisconnectedMidStream;
        md.AppendLine($"| **all** | {t.NumSent} | {t.NumCompleted} | {disconnected} | {t.NumSent - t.NumCompleted - disconnected} |").AppendLine();
        md.AppendLine($"- Disconnects, as they happened: {t.NumDisconnectedBeforeFirstToken} before the first token, {t.NumDisconnectedMidStream} after some text")
            .AppendLine($"- Tokens of completed requests: {t.NumPromptTokens:N0} prompt ({Percent(t.NumCachedTokens, t.NumPromptTokens)} from the prefix cache), " +
                        $"{t.NumCompletionTokens:N0} completion ({t.NumCompletionTokens / seconds:F0} tok/s over the load phase); " +
                        $"{t.NumSent / seconds:F2} requests/s")
            .AppendLine($"- Finish reasons (per choice): {string.Join(", ", t.FinishReasons.Select(f => $"{f.Reason} {f.Count}"))}")
            .AppendLine($"- TTFT p50 {F(t.Ttft.PercentileMs(50))} ms, p99 {F(t.Ttft.PercentileMs(99))} ms; end to end p50 {F(t.E2e.PercentileMs(50))} ms, " +
                        $"p99 {F(t.E2e.PercentileMs(99))} ms, max {F(t.E2e.MaxMs)} ms")
            .AppendLine($"- Connections retried after failing before any response byte: {t.NumRetries}").AppendLine();
    }

    private static void AppendDeterminism(StringBuilder md, SoakRun run)
    {
        var t = run.Tally;
        md.AppendLine("#### Determinism").AppendLine()
            .AppendLine($"{run.NumReferences} of {run.PoolSize} pool requests got a solo reference (each sent alone before the load). " +
                        $"Compared with it: {t.NumCompared} outputs ({t.NumComparedPrefixes} of them cut by a disconnect, compared as prefixes), " +
                        $"under load and again alone after the soak. **Mismatches: {t.NumMismatches}**" +
                        (t.Mismatches.Count > 0 ? "; the first distinct ones:" : ".")).AppendLine();
        foreach (var m in t.Mismatches)
            md.AppendLine($"- pool #{m.PoolIndex} ({m.Phase}), `{m.Request.Endpoint}`, choice {m.Choice}: first difference at character {m.Offset}; " +
                          $"solo {m.Expected} (finish {m.ExpectedFinish}), got {m.Actual} (finish {m.ActualFinish ?? "–, cut"})");
        if (t.Mismatches.Count > 0)
            md.AppendLine();
    }

    private static void AppendErrors(StringBuilder md, SoakRun run)
    {
        var t = run.Tally;
        md.AppendLine("#### Errors").AppendLine();
        if (t.Errors.Count == 0)
        {
            md.AppendLine("None (deliberate disconnects are not errors).").AppendLine();
            return;
        }
        md.AppendLine("| kind | count |").AppendLine("|---|---:|");
        foreach (var (kind, count) in t.Errors)
            md.AppendLine($"| {kind} | {count} |");
        md.AppendLine().AppendLine("First ones:").AppendLine();
        foreach (var (phase, request, outcome) in t.ErrorExamples)
            md.AppendLine($"- {phase}: `{request.Endpoint}` ({string.Join(", ", request.Kinds)}): {outcome.ErrorKind}: {outcome.ErrorMessage}");
        md.AppendLine();
    }

    private static void AppendMemory(StringBuilder md, SoakRun run, string? plot)
    {
        md.AppendLine("#### Server memory (RSS)").AppendLine();
        if (run.Rss.Count == 0)
        {
            md.AppendLine($"Not sampled: {run.RssNote}.").AppendLine();
            return;
        }
        md.AppendLine("| elapsed s | phase | RSS MiB |").AppendLine("|---:|---|---:|");
        int step = Math.Max(1, (run.Rss.Count + RssTableRows - 1) / RssTableRows);
        var rows = run.Rss.Where((_, i) => i % step == 0 || i == run.Rss.Count - 1).GroupBy(s => Math.Round(s.Seconds)).Select(g => g.Last());
        foreach (var (seconds, kib) in rows)
            md.AppendLine($"| {seconds:F0} | {run.Marks.LastOrDefault(m => m.Seconds <= seconds).Phase ?? "start"} | {kib / 1024.0:F0} |");
        long start = run.Rss[0].Kib, peak = run.Rss.Max(s => s.Kib), end = run.Rss[^1].Kib;
        md.AppendLine().AppendLine($"Start {start / 1024.0:F0} MiB, peak {peak / 1024.0:F0} MiB, end {end / 1024.0:F0} MiB " +
                                   $"({run.Rss.Count} samples{(run.RssNote is null ? "" : "; " + run.RssNote)}).");
        if (plot is not null)
            md.AppendLine().AppendLine($"![server RSS during the soak]({plot})");
        md.AppendLine();
    }

    private static void AppendBlocks(StringBuilder md, SoakRun run)
    {
        md.AppendLine("#### KV blocks").AppendLine();
        if (run.Final is null)
        {
            md.AppendLine("Not checked: no answer from `/v1/engine/stats` at the end.").AppendLine();
            return;
        }
        md.AppendLine("| when | total | free | of which cached (idle prefix cache) | held by sequences | running | waiting | preemptions | prefix cache hit rate |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (when, s) in run.Stats.Where(s => s.Stats is not null))
            md.AppendLine($"| {when} | {s!.NumBlocks} | {s.NumFreeBlocks} | {s.NumCachedIdleBlocks} | {s.NumUsedBlocks} | {s.NumRunning} | {s.NumWaiting} | " +
                          $"{s.NumPreemptions} | {s.PrefixCacheHitRate:P1} |");
        md.AppendLine().AppendLine("Idle, every block must be free; cached ones are the prefix cache's idle blocks, reusable and evicted on demand.").AppendLine();
    }

    private static void AppendServerLog(StringBuilder md, SoakRun run)
    {
        if (run.NumServerLogEvents is not { } events)
            return;
        md.AppendLine("#### Server log").AppendLine().AppendLine($"{events} warnings or errors logged by the server.");
        if (run.ServerLog.Count > 0)
            md.AppendLine().AppendLine("```").AppendLine(string.Join('\n', run.ServerLog.Take(20))).AppendLine("```");
        md.AppendLine();
    }

    private static string? WriteFindings(SoakRun run, string path)
    {
        var lines = run.Tally.ErrorExamples.Select(e => Finding(e.Phase, e.Request, e.Outcome.ErrorKind, e.Outcome.ErrorMessage, null, null))
            .Concat(run.Tally.Mismatches.Select(m => Finding(m.Phase, m.Request, "mismatch", $"choice {m.Choice} differs at character {m.Offset}",
                m.Solo, m.Outcome)))
            .ToList();
        if (lines.Count == 0)
            return null;
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Finding(string phase, SoakRequest request, string? kind, string? message, SoakOutcome? solo, SoakOutcome? got) =>
        new JsonObject
        {
            ["phase"] = phase, ["kind"] = kind, ["message"] = message, ["endpoint"] = "/v1/" + request.Endpoint,
            ["disconnect"] = request.Disconnect == SoakDisconnect.None ? null : $"{request.Disconnect} after {request.DisconnectAfter}",
            ["body"] = JsonNode.Parse(request.Body),
            ["solo_texts"] = solo is null ? null : new JsonArray([.. solo.Texts.Select(s => (JsonNode)s)]),
            ["texts"] = got is null ? null : new JsonArray([.. got.Texts.Select(s => (JsonNode)s)]),
        }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static string WritePlot(SoakRun run, string path)
    {
        Plots.WriteSeries([.. run.Rss.Select(s => (s.Seconds, s.Kib / 1024.0))], run.Marks.Select(m => (m.Seconds, m.Phase)), path,
            "seconds since the soak started", "server RSS (MiB)");
        return path;
    }

    // The report replaces what follows the marker in an existing file (a doc's results section), else it is appended.
    private static void Save(string output, string report)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        string old = File.Exists(output) ? File.ReadAllText(output) : "";
        int at = old.IndexOf(Marker, StringComparison.Ordinal);
        string text = at >= 0 ? old[..(at + Marker.Length)] + "\n\n" + report
            : old.Length == 0 ? Marker + "\n\n" + report : old.TrimEnd() + "\n\n" + Marker + "\n\n" + report;
        File.WriteAllText(output, text);
    }

    private static string Percent(long part, long whole) => whole == 0 ? "–" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);

    private static string F(double x) => double.IsNaN(x) ? "–" : x.ToString(x >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}
