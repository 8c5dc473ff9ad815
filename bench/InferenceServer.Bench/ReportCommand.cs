using System.Globalization;
using System.Text;
using InferenceServer.Engine;
using static InferenceServer.Bench.ReportTables;

namespace InferenceServer.Bench;

/// <summary>
/// <c>report</c>: every scenario against every target in one run — the raw llama.cpp ceiling, the naive server, this
/// engine in-process and this server over HTTP — then a markdown report with ratios and PNG plots.
/// <c>--quick</c> runs a small version on the tiny model (under two minutes) and checks the numbers are sane.
/// </summary>
internal static class ReportCommand
{
    private sealed record Scenario(string Name, int PromptTokens, int OutputTokens, int[] Levels, Func<int, int> Requests);

    /// <summary>The models a full report covers when no --preset is given: the issue's `small` (f16) and `base` (Q8_0).</summary>
    private static readonly (string Preset, string Weights)[] StandardModels = [("small", "f16"), ("base", "q8_0")];

    private sealed record TargetRow(string Check, string Target, string Measured);

    /// <summary>Engine-thread time per step over one load level (from the engine's step profile).</summary>
    private sealed record StepProfile(string Target, int Concurrency, long Steps, double WallMs, StepTimes Times, double? DecodeMs, double? SampleMs);

    public static async Task<int> RunAsync(Cli cli)
    {
        bool quick = cli.Has("quick");
        // The server's own default: one llama.cpp thread per core but one, which is left to the engine and HTTP.
        int threads = cli.Get("threads", Math.Max(1, Environment.ProcessorCount - 1));
        (string Preset, string Weights)[] models = quick ? [("tiny", "f16")]
            : cli.Get("preset") is { } one ? [(one, cli.Get("weights", "f16"))] : StandardModels;
        var only = cli.Get("scenarios", "decode,prefill,shared,growth").Split(',').ToHashSet();
        string? output = cli.Get("out");
        var report = new MarkdownReport(output);
        report.Section(m =>
        {
            m.AppendLine(quick ? "# Benchmark (quick mode)" : "# Benchmarks").AppendLine();
            if (quick)
                m.AppendLine("Quick mode checks that the harness produces sane numbers on the tiny model; the targets below are " +
                             "printed for shape only and are judged on the full report (`report --out docs/benchmarks.md`).").AppendLine();
            m.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {MarkdownReport.Machine()}")
                .AppendLine($"- {threads} llama.cpp thread(s) for every target; every target measured one after another in one run, nothing else running")
                .AppendLine($"- Command: {MarkdownReport.Command()}")
                .AppendLine();
        });

        string serverDll = BenchServer.Publish();
        var summary = new List<(string Model, List<TargetRow> Rows)>();
        int status = 0;
        foreach (var (preset, weightType) in models)
        {
            var (rows, sane) = await RunModelAsync(preset, weightType, threads, quick, only, serverDll, output, report.Section);
            summary.Add(($"`{preset}` {weightType}", rows));
            status |= sane;
        }
        if (summary.Count > 1)
            report.Section(m => AppendSummary(m, summary, threads));
        return status;
    }

    private static async Task<(List<TargetRow> Rows, int Sane)> RunModelAsync(string preset, string weightType, int threads, bool quick,
        HashSet<string> only, string serverDll, string? output, Action<Action<StringBuilder>> section)
    {
        string model = BenchModels.Ensure(preset, weightType);
        var decode = quick ? new Scenario("decode-heavy", 16, 16, [1, 4], c => 4) : new Scenario("decode-heavy", 32, 128, [1, 2, 4, 8, 16, 32], c => Math.Max(4, 2 * c));
        var prefill = quick ? new Scenario("prefill-heavy", 128, 4, [1, 4], c => 4) : new Scenario("prefill-heavy", 1024, 16, [1, 4, 16], c => Math.Max(4, c));
        // 4000 rather than 4096: prompt plus 32 output tokens must fit the presets' 4096-token training context.
        int[] growthContexts = quick ? [128] : [256, 1024, 4000];
        int[] growthLevels = quick ? [1, 4] : [1, 16];
        int sharedPrefix = quick ? 256 : 1024;
        string name = $"`{preset}` {weightType}";

        section(m => m.AppendLine($"## {name}: synthetic {preset}, {BenchModels.Preset(preset).ParameterCount:N0} parameters, weights {weightType}").AppendLine());
        using var weights = BenchModels.Load(model);
        int vocab = weights.Vocab.Count;
        var all = new Dictionary<string, List<LevelResult>>();
        var profiles = new List<StepProfile>();
        foreach (var scenario in new[] { decode, prefill }.Where(s => only.Contains(s.Name.Split('-')[0])))
        {
            var results = await SweepAsync(scenario, model, weights, serverDll, threads, vocab, scenario == decode ? profiles : null);
            all[scenario.Name] = results;
            section(m => AppendTable(m, $"{name} — {scenario.Name}: {scenario.PromptTokens}-token prompts, {scenario.OutputTokens} tokens out", results));
        }
        (LevelResult On, LevelResult Off)? shared = null;
        if (only.Contains("shared"))
        {
            var measured = await SharedPrefixAsync(model, serverDll, threads, vocab, sharedPrefix, quick);
            shared = measured;
            section(m => AppendSharedPrefix(m, name, measured, sharedPrefix));
        }
        var rows = new List<TargetRow>();
        if (all.TryGetValue("decode-heavy", out var decodeResults))
        {
            section(m => AppendProfile(m, name, profiles, decodeResults));
            rows = TargetRows(decodeResults, shared);
            section(m => AppendTargets(m, name, rows));
            if (output is not null)
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
            var growth = await GrowthAsync(model, weights, serverDll, threads, vocab, growthContexts, growthLevels);
            section(m => AppendGrowth(m, name, growth));
        }
        return (rows, quick ? Sanity(all, decode, prefill) : 0);
    }

    private static async Task<List<LevelResult>> SweepAsync(Scenario scenario, string model, LLama.LLamaWeights weights, string serverDll,
        int threads, int vocab, List<StepProfile>? profiles)
    {
        var results = new List<LevelResult>();
        int maxC = scenario.Levels.Max();
        var limit = TimeSpan.FromMinutes(20);
        List<int[]> Prompts(int c) => LoadSweep.Prompts(scenario.Requests(c), scenario.PromptTokens, vocab, c);
        foreach (int c in scenario.Levels)
            results.Add(CeilingRunner.Run(weights.NativeHandle, c, Prompts(c), scenario.OutputTokens, threads));
        await using (var naive = new NaiveTarget(weights, scenario.PromptTokens + scenario.OutputTokens + 64, threads))
        {
            await WarmUpAsync(naive, vocab);
            foreach (int c in scenario.Levels)
                results.Add(await LoadSweep.RunAsync(naive, c, Prompts(c), scenario.OutputTokens, limit));
        }
        var options = EngineSettings(maxC, scenario.PromptTokens + scenario.OutputTokens, threads, prefixCaching: true);
        var inProcess = await InProcessEngine.StartAsync(model, options);
        await using (var engine = new EngineTarget(inProcess))
        {
            await WarmUpAsync(engine, vocab);
            foreach (int c in scenario.Levels)
            {
                var before = (Stats: inProcess.Client.Stats, inProcess.Runner?.DecodeTime, inProcess.Runner?.SampleTime);
                var r = await LoadSweep.RunAsync(engine, c, Prompts(c), scenario.OutputTokens, limit);
                results.Add(r);
                var after = inProcess.Client.Stats;
                if (Profile(r, before.Stats, after) is { } p)
                    profiles?.Add(p with
                    {
                        DecodeMs = (inProcess.Runner?.DecodeTime - before.DecodeTime)?.TotalMilliseconds / p.Steps,
                        SampleMs = (inProcess.Runner?.SampleTime - before.SampleTime)?.TotalMilliseconds / p.Steps,
                    });
            }
        }
        await using (var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(options)))
        await using (var http = new OpenAiHttpTarget("server (HTTP)", server.V1, Path.GetFileNameWithoutExtension(model)))
        {
            await WarmUpAsync(http, vocab);
            foreach (int c in scenario.Levels)
            {
                var before = await server.StatsAsync();
                var r = await LoadSweep.RunAsync(http, c, Prompts(c), scenario.OutputTokens, limit);
                results.Add(r);
                if (Profile(r, before, await server.StatsAsync()) is { } p)
                    profiles?.Add(p);
            }
        }
        return results;
    }

    // Two short requests before a target's first level, so the level measures steady state, not JIT compilation.
    private static Task WarmUpAsync(ILoadTarget target, int vocab) =>
        LoadSweep.RunAsync(target, 1, LoadSweep.Prompts(2, 16, vocab, 7), 16, TimeSpan.FromMinutes(5));

    // Per-step means between two stats snapshots taken around one load level.
    private static StepProfile? Profile(LevelResult level, EngineStats before, EngineStats after)
    {
        long steps = after.NumSteps - before.NumSteps;
        if (steps <= 0 || after.StepTimes is not { } a)
            return null;
        var b = before.StepTimes ?? new StepTimes(0, 0, 0);
        var perStep = new StepTimes((a.ScheduleMs - b.ScheduleMs) / steps, (a.ExecuteMs - b.ExecuteMs) / steps, (a.UpdateMs - b.UpdateMs) / steps);
        return new StepProfile(level.Target, level.Concurrency, steps, level.WallSeconds * 1000 / steps, perStep, null, null);
    }

    private static async Task<(LevelResult On, LevelResult Off)> SharedPrefixAsync(string model, string serverDll, int threads, int vocab,
        int prefixTokens, bool quick)
    {
        var prefix = BenchModels.RandomTokens(prefixTokens, vocab, new Random(99));
        int c = quick ? 2 : 4, count = quick ? 4 : 8;
        async Task<LevelResult> Run(bool cache)
        {
            var options = EngineSettings(c, prefixTokens + 32, threads, cache);
            await using var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(options));
            await using var http = new OpenAiHttpTarget(cache ? "server, prefix cache on" : "server, prefix cache off", server.V1, Path.GetFileNameWithoutExtension(model));
            await LoadSweep.RunAsync(http, 1, LoadSweep.Prompts(1, 16, vocab, 1, prefix), 4, TimeSpan.FromMinutes(10)); // warm: caches the prefix
            return await LoadSweep.RunAsync(http, c, LoadSweep.Prompts(count, 16, vocab, 2, prefix), 16, TimeSpan.FromMinutes(10));
        }
        return (await Run(true), await Run(false));
    }

    private static async Task<List<(int Context, LevelResult Ceiling, LevelResult Server)>> GrowthAsync(string model, LLama.LLamaWeights weights,
        string serverDll, int threads, int vocab, int[] contexts, int[] levels)
    {
        var rows = new List<(int, LevelResult, LevelResult)>();
        const int output = 32;
        foreach (int context in contexts)
        {
            var options = EngineSettings(levels.Max(), context + output, threads, prefixCaching: false);
            await using var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(options));
            await using var http = new OpenAiHttpTarget("server (HTTP)", server.V1, Path.GetFileNameWithoutExtension(model));
            await WarmUpAsync(http, vocab);
            foreach (int c in levels)
            {
                var prompts = LoadSweep.Prompts(c, context, vocab, context + c);
                var ceiling = CeilingRunner.Run(weights.NativeHandle, c, prompts, output, threads);
                try
                {
                    rows.Add((context, ceiling, await LoadSweep.RunAsync(http, c, prompts, output, TimeSpan.FromMinutes(30))));
                }
                catch (OperationCanceledException)
                {
                    // Over the level's time limit: report the ceiling and mark the server's cell as not finished.
                    rows.Add((context, ceiling, new LevelResult("server (HTTP), over 30 min", c, [], 0)));
                }
            }
        }
        return rows;
    }

    private static EngineOptions EngineSettings(int maxSequences, int tokensPerSequence, int threads, bool prefixCaching) => new()
    {
        MaxSequences = Math.Max(maxSequences, 1), Threads = threads, PrefixCaching = prefixCaching,
        NumBlocks = (maxSequences * (tokensPerSequence + 32) + 15) / 16 + 16,
    };

    private static string[] ServerArgs(EngineOptions o) =>
    [
        "--Engine:MaxSequences", o.MaxSequences.ToString(), "--Engine:Threads", o.Threads.ToString(),
        "--Engine:NumBlocks", o.NumBlocks.ToString(), "--Engine:PrefixCaching", o.PrefixCaching.ToString(),
        "--Engine:MaxWaiting", "1000", "--Engine:MaxN", o.MaxSequences.ToString(),
    ];

    private static void AppendSharedPrefix(StringBuilder md, string model, (LevelResult On, LevelResult Off) shared, int prefix)
    {
        md.AppendLine($"### {model} — shared-prefix: {prefix}-token common prefix, 16-token unique suffixes, 16 tokens out").AppendLine();
        md.AppendLine("| server | TTFT p50 ms | TTFT p99 ms | output tok/s |").AppendLine("|---|---:|---:|---:|");
        foreach (var r in new[] { shared.On, shared.Off })
            md.AppendLine($"| {r.Target} | {F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.OutputTokensPerSecond)} |");
        md.AppendLine();
    }

    private static void AppendGrowth(StringBuilder md, string model, List<(int Context, LevelResult Ceiling, LevelResult Server)> growth)
    {
        md.AppendLine($"### {model} — growth: TPOT as the context per sequence grows (unified KV: attention spans all sequences' cells)").AppendLine();
        md.AppendLine("| context tokens | concurrency | ceiling TPOT p50 ms | server TPOT p50 ms | server / ceiling |").AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var (context, ceiling, server) in growth)
            md.AppendLine($"| {context} | {server.Concurrency} | {F(ceiling.Tpot.PercentileMs(50))} | {F(server.Tpot.PercentileMs(50))} | " +
                          $"{F(server.Tpot.PercentileMs(50) / ceiling.Tpot.PercentileMs(50))} |");
        md.AppendLine();
    }

    private static List<TargetRow> TargetRows(List<LevelResult> decode, (LevelResult On, LevelResult Off)? shared)
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

    private static int Sanity(Dictionary<string, List<LevelResult>> all, params Scenario[] scenarios)
    {
        foreach (var scenario in scenarios)
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
