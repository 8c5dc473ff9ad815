using System.Globalization;
using System.Text;
using static InferenceServer.Bench.ReportTables;

namespace InferenceServer.Bench;

/// <summary>
/// <c>report</c>: every scenario against every target in one run — the raw llama.cpp ceiling, the naive server, this
/// engine in-process, this server over HTTP and, with <c>--peer</c>, another OpenAI-compatible server — then a
/// markdown report with ratios and PNG plots.
/// <c>--quick</c> runs a small version on the tiny model (under two minutes) and checks the numbers are sane.
/// </summary>
internal static class ReportCommand
{
    /// <summary>The models a full report covers when no --preset is given: the issue's `small` (f16) and `base` (Q8_0).</summary>
    private static readonly (string Preset, string Weights)[] StandardModels = [("small", "f16"), ("base", "q8_0")];

    private sealed record TargetRow(string Check, string Target, string Measured);

    private sealed record Settings(int Threads, bool Quick, HashSet<string> Only, string ServerDll, string? Output, TimeSpan Limit,
        string[] ServerArgs, PeerServer? Peer);

    public static async Task<int> RunAsync(Cli cli)
    {
        bool quick = cli.Has("quick");
        // The server's own default: one llama.cpp thread per core but one, which is left to the engine and HTTP.
        int threads = cli.Get("threads", Math.Max(1, Environment.ProcessorCount - 1));
        (string Preset, string Weights)[] models = quick ? [("tiny", "f16")]
            : cli.Get("preset") is { } one ? [(one, cli.Get("weights", "f16"))] : StandardModels;
        var peer = await PeerServer.ConnectAsync(cli);
        if (peer is not null && models.Length > 1)
            throw new ArgumentException("a peer serves one model: give --preset and --weights to match it (or --quick for tiny f16)");
        // Long enough for base's slowest level (growth, 16 sequences of 4000 tokens); a level still running is cut.
        var limit = TimeSpan.FromMinutes(cli.Get("level-minutes", 30.0));
        var report = new MarkdownReport(cli.Get("out"));
        report.Section(m =>
        {
            m.AppendLine(quick ? "# Benchmark (quick mode)" : "# Benchmarks").AppendLine();
            if (quick)
                m.AppendLine("Quick mode checks that the harness produces sane numbers on the tiny model; the targets below are " +
                             "printed for shape only and are judged on the full report (`report --out docs/benchmarks.md`).").AppendLine();
            m.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {MarkdownReport.Machine()}")
                .AppendLine($"- {threads} llama.cpp thread(s) for every target; every target measured one after another in one run, nothing else running")
                .AppendLine($"- Command: {MarkdownReport.Command()}");
            if (peer is not null)
                m.AppendLine($"- Peer: {peer.Description}");
            m.AppendLine();
        });

        var settings = new Settings(threads, quick, cli.Get("scenarios", "decode,prefill,shared,growth").Split(',').ToHashSet(),
            BenchServer.Publish(), cli.Get("out"), limit, BenchServer.ExtraArgs(cli), peer);
        var summary = new List<(string Model, List<TargetRow> Rows)>();
        int status = 0;
        foreach (var (preset, weightType) in models)
        {
            var (rows, sane) = await RunModelAsync(preset, weightType, settings, report.Section);
            summary.Add(($"`{preset}` {weightType}", rows));
            status |= sane;
        }
        if (summary.Count > 1)
            report.Section(m => AppendSummary(m, summary, threads));
        return status;
    }

    private static async Task<(List<TargetRow> Rows, int Sane)> RunModelAsync(string preset, string weightType, Settings settings,
        Action<Action<StringBuilder>> section)
    {
        bool quick = settings.Quick;
        var only = settings.Only;
        string model = BenchModels.Ensure(preset, weightType);
        var decode = quick ? new LoadScenario("decode-heavy", 16, 16, [1, 4], c => 4) : new LoadScenario("decode-heavy", 32, 128, [1, 2, 4, 8, 16, 32], c => Math.Max(4, 2 * c));
        var prefill = quick ? new LoadScenario("prefill-heavy", 128, 4, [1, 4], c => 4) : new LoadScenario("prefill-heavy", 1024, 16, [1, 4, 16], c => Math.Max(4, c));
        // 4000 rather than 4096: prompt plus 32 output tokens must fit the presets' 4096-token training context.
        int[] growthContexts = quick ? [128] : [256, 1024, 4000];
        int[] growthLevels = quick ? [1, 4] : [1, 16];
        int sharedPrefix = quick ? 256 : 1024;
        string name = $"`{preset}` {weightType}";

        section(m => m.AppendLine($"## {name}: synthetic {preset}, {BenchModels.Preset(preset).ParameterCount:N0} parameters, weights {weightType}").AppendLine());
        using var weights = BenchModels.Load(model);
        settings.Peer?.CheckServes(weights, model);
        var scenarios = new ReportScenarios(model, weights, settings.ServerDll, settings.Threads, settings.Limit, settings.ServerArgs, settings.Peer);
        var all = new Dictionary<string, List<LevelResult>>();
        var profiles = new List<StepProfile>();
        foreach (var scenario in new[] { decode, prefill }.Where(s => only.Contains(s.Name.Split('-')[0])))
        {
            var results = await scenarios.SweepAsync(scenario, scenario == decode ? profiles : null);
            all[scenario.Name] = results;
            section(m =>
            {
                AppendTable(m, $"{name} — {scenario.Name}: {scenario.PromptTokens}-token prompts, {scenario.OutputTokens} tokens out", results);
                if (settings.Peer is { } peer)
                    AppendRatios(m, $"{name} — {scenario.Name}: server (HTTP) / {peer.Name}",
                        PeerPairs(results, ReportScenarios.ServerTarget, peer.Name).Select(p => (scenario.Shape, p.Ours, p.Peer)));
            });
        }
        SharedPrefixResult? shared = null;
        if (only.Contains("shared"))
        {
            var measured = await scenarios.SharedPrefixAsync(sharedPrefix, quick);
            shared = measured;
            section(m => AppendSharedPrefix(m, name, measured, sharedPrefix, settings.Peer));
        }
        var rows = new List<TargetRow>();
        if (all.TryGetValue("decode-heavy", out var decodeResults))
        {
            section(m => AppendProfile(m, name, profiles, decodeResults));
            rows = TargetRows(decodeResults, shared);
            section(m => AppendTargets(m, name, rows));
            if (settings.Output is { } output)
            {
                string dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
                string stem = Path.GetFileNameWithoutExtension(output) + $"-{preset}-{weightType}";
                Plots.Write(decodeResults, Path.Combine(dir, stem + "-throughput.png"), "output tokens/s", r => r.OutputTokensPerSecond);
                Plots.Write(decodeResults, Path.Combine(dir, stem + "-ttft.png"), "TTFT p50 (ms)", r => r.Ttft.PercentileMs(50));
                section(m => m.AppendLine($"![{preset} throughput]({stem}-throughput.png) ![{preset} TTFT]({stem}-ttft.png)").AppendLine());
            }
        }
        // Last, because on a large model 16 long contexts take long: everything above is already written if it fails.
        if (only.Contains("growth"))
        {
            var growth = await scenarios.GrowthAsync(growthContexts, growthLevels);
            section(m => AppendGrowth(m, name, growth, settings.Peer));
        }
        return (rows, quick ? Sanity(all, decode, prefill) : 0);
    }

    // This server's and the peer's result at each concurrency both have.
    private static IEnumerable<(LevelResult Ours, LevelResult Peer)> PeerPairs(List<LevelResult> results, string ours, string peer) =>
        from o in results
        where o.Target == ours
        join p in results.Where(r => r.Target == peer) on o.Concurrency equals p.Concurrency
        select (o, p);

    private static void AppendSharedPrefix(StringBuilder md, string model, SharedPrefixResult shared, int prefix, PeerServer? peer)
    {
        md.AppendLine($"### {model} — shared-prefix: {prefix}-token common prefix, 16-token unique suffixes, 16 tokens out").AppendLine();
        md.AppendLine("| server | TTFT p50 ms | TTFT p99 ms | output tok/s |").AppendLine("|---|---:|---:|---:|");
        foreach (var r in new[] { shared.On, shared.Off, shared.Peer }.OfType<LevelResult>())
            md.AppendLine(r.Unfinished is { } why ? $"| {r.Target} | {why} | – | – |"
                : $"| {r.Target} | {F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.OutputTokensPerSecond)} |");
        md.AppendLine();
        if (shared.Peer is { } p)
            AppendRatios(md, $"{model} — shared-prefix: server, prefix cache on / {peer!.Name}", [($"{prefix} shared + 16 unique / 16", shared.On, p)]);
    }

    private static void AppendGrowth(StringBuilder md, string model, List<GrowthRow> growth, PeerServer? peer)
    {
        md.AppendLine($"### {model} — growth: TPOT as the context per sequence grows").AppendLine();
        md.AppendLine("Steady: TPOT over the gaps between a request's tokens while no other request waited for its first token " +
                      "(no prefill in those steps); the ceiling prefills first, so its TPOT is steady throughout.").AppendLine();
        string peerColumns = peer is null ? "" : $" {peer.Name} TPOT p50 ms | {peer.Name} steady TPOT p50 ms | server / {peer.Name}, steady |";
        md.AppendLine($"| context tokens | concurrency | ceiling TPOT p50 ms | server TPOT p50 ms | server steady TPOT p50 ms | server / ceiling, steady |{peerColumns}")
            .AppendLine($"|---:|---:|---:|---:|---:|---:|{(peer is null ? "" : "---:|---:|---:|")}");
        static string Tpot(LevelResult r) => r.Unfinished ?? F(r.Tpot.PercentileMs(50));
        static double SteadyMs(LevelResult r) => r.SteadyTpot?.PercentileMs(50) ?? double.NaN;
        static string Steady(LevelResult r) => r.Unfinished is null && r.SteadyTpot is { } s ? F(s.PercentileMs(50)) : "–";
        foreach (var row in growth)
            md.AppendLine($"| {row.Context} | {row.Server.Concurrency} | {Tpot(row.Ceiling)} | {Tpot(row.Server)} | {Steady(row.Server)} | " +
                          $"{Ratio(SteadyMs(row.Server), row.Ceiling.Tpot.PercentileMs(50))} |" +
                          (row.Peer is { } p ? $" {Tpot(p)} | {Steady(p)} | {Ratio(SteadyMs(row.Server), SteadyMs(p))} |" : ""));
        md.AppendLine();
        int top = growth.Max(r => r.Server.Concurrency);
        var atTop = growth.Where(r => r.Server.Concurrency == top).OrderBy(r => r.Context).ToList();
        if (top > 1 && atTop.Count >= 2)
        {
            var (low, high) = (atTop[0], atTop[^1]);
            md.AppendLine($"Steady TPOT at {top} × {high.Context} over {top} × {low.Context} (target ≤ 4): server " +
                          Ratio(SteadyMs(high.Server), SteadyMs(low.Server)) +
                          (low.Peer is { } pl && high.Peer is { } ph ? $", {peer!.Name} {Ratio(SteadyMs(ph), SteadyMs(pl))}" : "") + ".").AppendLine();
        }
    }

    private static List<TargetRow> TargetRows(List<LevelResult> decode, SharedPrefixResult? shared)
    {
        LevelResult Of(string prefix, int c) => decode.First(r => r.Target.StartsWith(prefix) && r.Concurrency == c);
        var rows = new List<TargetRow>();
        foreach (int c in decode.Select(r => r.Concurrency).Distinct().Where(c => c >= 4))
        {
            rows.Add(new($"server / ceiling, concurrency {c}", "≥ 0.9", Ratio(Of("server", c).OutputTokensPerSecond, Of("ceiling", c).OutputTokensPerSecond)));
            rows.Add(new($"engine / ceiling, concurrency {c}", "–", Ratio(Of("engine", c).OutputTokensPerSecond, Of("ceiling", c).OutputTokensPerSecond)));
        }
        int top = decode.Max(r => r.Concurrency) >= 16 ? 16 : decode.Max(r => r.Concurrency);
        rows.Add(new($"server / naive, concurrency {top}", "≥ 5", Ratio(Of("server", top).OutputTokensPerSecond, Of("naive", top).OutputTokensPerSecond)));
        rows.Add(new("ceiling / naive (what batching can give here), concurrency " + top, "–", Ratio(Of("ceiling", top).OutputTokensPerSecond, Of("naive", top).OutputTokensPerSecond)));
        rows.Add(new("server TPOT / ceiling TPOT, concurrency 1", "≤ 1.10", Ratio(Of("server", 1).Tpot.PercentileMs(50), Of("ceiling", 1).Tpot.PercentileMs(50))));
        if (shared is { } s)
            rows.Add(new("shared-prefix TTFT, cache on / off", "≤ 0.25", Ratio(s.On.Ttft.PercentileMs(50), s.Off.Ttft.PercentileMs(50))));
        return rows;
    }

    private static void AppendTargets(StringBuilder md, string model, List<TargetRow> rows)
    {
        md.AppendLine($"### {model} — targets (decode-heavy output tokens/s unless named)").AppendLine();
        md.AppendLine("| check | target | measured |").AppendLine("|---|---|---:|");
        foreach (var row in rows)
            md.AppendLine($"| {row.Check} | {row.Target} | {row.Measured} |");
        md.AppendLine();
    }

    private static void AppendSummary(StringBuilder md, List<(string Model, List<TargetRow> Rows)> summary, int threads)
    {
        md.AppendLine($"## Targets, every model ({threads} llama.cpp thread(s))").AppendLine();
        md.AppendLine($"| check | target | {string.Join(" | ", summary.Select(s => s.Model))} |");
        md.AppendLine($"|---|---|{string.Concat(summary.Select(_ => "---:|"))}");
        foreach (var row in summary.SelectMany(s => s.Rows).Select(r => (r.Check, r.Target)).Distinct())
            md.AppendLine($"| {row.Check} | {row.Target} | " +
                          string.Join(" | ", summary.Select(s => s.Rows.FirstOrDefault(r => r.Check == row.Check)?.Measured ?? "–")) + " |");
        md.AppendLine();
    }

    private static void AppendProfile(StringBuilder md, string model, List<StepProfile> profiles, List<LevelResult> decode)
    {
        md.AppendLine($"### {model} — step profile, decode-heavy (engine thread, ms per step)").AppendLine();
        md.AppendLine("Wall = level duration / steps; schedule, execute (one llama_decode over the batch + sampling) and update " +
                      "(scheduler books, results to request streams) are the engine thread's phases; the rest of the wall time the " +
                      "engine thread waited for requests. The ceiling's TPOT is its llama_decode time per step at the same batch.").AppendLine();
        md.AppendLine("| target | concurrency | steps | wall | schedule | execute | of which llama_decode | of which sampling | update | waiting | ceiling TPOT p50 |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in profiles)
        {
            double waiting = p.WallMs - p.Times.ScheduleMs - p.Times.ExecuteMs - p.Times.UpdateMs;
            var ceiling = decode.FirstOrDefault(r => r.Target.StartsWith("ceiling") && r.Concurrency == p.Concurrency);
            md.AppendLine($"| {p.Target} | {p.Concurrency} | {p.Steps} | {p.WallMs:F2} | {p.Times.ScheduleMs:F3} | {p.Times.ExecuteMs:F2} | " +
                          $"{(p.DecodeMs is { } d ? d.ToString("F2", CultureInfo.InvariantCulture) : "–")} | " +
                          $"{(p.SampleMs is { } sm ? sm.ToString("F3", CultureInfo.InvariantCulture) : "–")} | {p.Times.UpdateMs:F3} | {waiting:F2} | " +
                          $"{(ceiling is null ? "–" : F(ceiling.Tpot.PercentileMs(50)))} |");
        }
        md.AppendLine();
    }

    private static int Sanity(Dictionary<string, List<LevelResult>> all, params LoadScenario[] scenarios)
    {
        foreach (var scenario in scenarios.Where(s => all.ContainsKey(s.Name)))
            foreach (var r in all[scenario.Name])
            {
                bool ok = r.Requests.Count == scenario.Requests(r.Concurrency) && r.OutputTokensPerSecond > 0
                    && r.Requests.All(q => q.TtftMs > 0 && q.E2eMs >= q.TtftMs)
                    && (r.Target.StartsWith("naive") || r.Requests.All(q => q.OutputTokens == scenario.OutputTokens));
                if (!ok)
                {
                    Console.Error.WriteLine($"insane numbers: {scenario.Name} {r.Target} concurrency {r.Concurrency}");
                    return 1;
                }
            }
        Console.WriteLine("bench quick: numbers sane");
        return 0;
    }
}
