using static InferenceServer.Bench.ReportTables;

namespace InferenceServer.Bench;

/// <summary>
/// <c>compare</c>: the performance issue's table in one run — this server (published Release build, started with
/// <c>--server-arg</c> settings) against a peer already running on loopback with the same GGUF, level by level in turn:
/// decode-heavy 32/128 and long-prompt 896/64 at concurrency 1, 4 and 16, and 768 shared + 128 unique / 64 at 16, 2×c
/// requests per level; then this server's throughput, TTFT p50/p99 and TPOT p50 over the peer's. With
/// <c>--batched-bench</c>, first the raw batched loop through LLamaSharp beside llama.cpp's <c>llama-batched-bench</c>.
/// </summary>
internal static class CompareCommand
{
    public static async Task<int> RunAsync(Cli cli)
    {
        bool quick = cli.Has("quick");
        int threads = cli.Get("threads", Math.Max(1, Environment.ProcessorCount - 1));
        string preset = cli.Get("preset", quick ? "tiny" : "base"), weightType = cli.Get("weights", quick ? "f16" : "q8_0");
        string? batchedBench = cli.Get("batched-bench");
        if (batchedBench is not null && !File.Exists(batchedBench))
            throw new FileNotFoundException($"--batched-bench {batchedBench}: no such file");
        var peer = await PeerServer.ConnectAsync(cli);
        if (peer is null && batchedBench is null)
            throw new ArgumentException("give --peer URL (a server to compare with, serving the same GGUF), --batched-bench PATH, or both");
        var limit = TimeSpan.FromMinutes(cli.Get("level-minutes", 10.0));
        string[] serverArgs = ["--Engine:Threads", $"{threads}", .. BenchServer.ExtraArgs(cli)];
        string model = BenchModels.Ensure(preset, weightType);
        using var weights = BenchModels.Load(model);
        peer?.CheckServes(weights, model);
        var scenarios = Scenarios(quick);
        if (cli.Get("scenarios") is { } only)
        {
            var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.FirstOrDefault(n => scenarios.All(s => s.Name != n)) is { } unknown)
                throw new ArgumentException($"--scenarios: no scenario '{unknown}' (decode-heavy, long-prompt, shared-prefix)");
            scenarios = [.. scenarios.Where(s => names.Contains(s.Name))];
        }

        var report = new MarkdownReport(cli.Get("out"));
        report.Section(m => AppendHeader(m, preset, weightType, model, weights.ParameterCount, serverArgs, peer, limit));
        if (batchedBench is not null)
        {
            var decode = scenarios[0];
            bool perSequence = cli.Get("batched-layout", "unified") == "per-sequence";
            string section = await BatchedBenchCheck.RunAsync(batchedBench, model, weights, threads, decode.PromptTokens, decode.OutputTokens,
                [1, decode.Levels.Max()], limit, unified: !perSequence, flashAttention: cli.Has("batched-flash-attention"));
            report.Section(m => m.Append(section));
        }
        if (peer is not null)
        {
            var pairs = await MeasureAsync(report, scenarios, model, weights.Vocab.Count, serverArgs, peer, limit);
            report.Section(m => AppendRatios(m, $"Ratios, server (HTTP) / {peer.Name}", pairs));
        }
        return 0;
    }

    private static void AppendHeader(System.Text.StringBuilder md, string preset, string weightType, string model, ulong numParams,
        string[] serverArgs, PeerServer? peer, TimeSpan limit)
    {
        md.AppendLine(peer is null ? "# Raw batched loop: LLamaSharp against llama.cpp" : $"# This server against {peer.Name}").AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {MarkdownReport.Machine()}")
            .AppendLine($"- Model: synthetic `{preset}` {weightType}, {numParams:N0} parameters: `{model}`")
            .AppendLine($"- Command: {MarkdownReport.Command()}");
        if (peer is not null)
            md.AppendLine($"- This server: published Release build, started with `{string.Join(' ', serverArgs)}`")
                .AppendLine($"- Peer: {peer.Description}, as it was started")
                .AppendLine("- Load: streaming `/v1/completions`, token-id prompts, `ignore_eos`, a fresh connection per request; 2×c requests " +
                            $"per level; at each level this server, then the peer; a level is cut after {LoadSweep.Duration(limit)}");
        md.AppendLine();
    }

    // The issue's rows; --quick: the same shapes, small enough for a trial on the tiny model.
    private static LoadScenario[] Scenarios(bool quick) => quick
        ?
        [
            new("decode-heavy", 16, 16, [1, 2], c => 2 * c),
            new("long-prompt", 128, 8, [1, 2], c => 2 * c, Seed: 1000),
            new("shared-prefix", 16, 8, [2], c => 2 * c, SharedPrefixTokens: 64, Seed: 2000),
        ]
        :
        [
            new("decode-heavy", 32, 128, [1, 4, 16], c => 2 * c),
            new("long-prompt", 896, 64, [1, 4, 16], c => 2 * c, Seed: 1000),
            new("shared-prefix", 128, 64, [16], c => 2 * c, SharedPrefixTokens: 768, Seed: 2000),
        ];

    // Each level runs on this server, then on the peer, so a machine whose speed drifts over the run treats both alike.
    private static async Task<List<(string Scenario, LevelResult Ours, LevelResult Peer)>> MeasureAsync(MarkdownReport report,
        LoadScenario[] scenarios, string model, int vocab, string[] serverArgs, PeerServer peer, TimeSpan limit)
    {
        var pairs = new List<(string, LevelResult, LevelResult)>();
        await using var server = await BenchServer.StartAsync(BenchServer.Publish(), model, serverArgs);
        await using var ours = new OpenAiHttpTarget(ReportScenarios.ServerTarget, server.V1, Path.GetFileNameWithoutExtension(model));
        await using var theirs = peer.Target();
        await LoadSweep.WarmUpAsync(ours, vocab);
        await LoadSweep.WarmUpAsync(theirs, vocab);
        foreach (var scenario in scenarios)
        {
            var levels = new List<(LevelResult Ours, LevelResult Peer)>();
            var profiles = new List<StepProfile>();
            foreach (int c in scenario.Levels)
            {
                var prompts = scenario.Prompts(c, vocab);
                var before = await server.StatsAsync();
                var level = await LoadSweep.RunAsync(ours, c, prompts, scenario.OutputTokens, limit);
                if (ReportScenarios.Profile(level, before, await server.StatsAsync()) is { } profile)
                    profiles.Add(profile);
                levels.Add((level, await LoadSweep.RunAsync(theirs, c, prompts, scenario.OutputTokens, limit)));
            }
            pairs.AddRange(levels.Select(l => (scenario.Shape, l.Ours, l.Peer)));
            report.Section(m =>
            {
                AppendTable(m, $"{scenario.Name}: {scenario.Shape} tokens", levels.Select(l => l.Ours).Concat(levels.Select(l => l.Peer)));
                AppendSteps(m, levels, profiles, peer.Name);
            });
        }
        return pairs;
    }

    // Where a level's time went: steps each server took (engine steps; llama-server's llama_decode calls), wall time per
    // step, TPOT once every request decodes (LevelResult.SteadyTpot), and this server's engine thread per step (execute split
    // into the runner's forward passes and its sampling).
    private static void AppendSteps(System.Text.StringBuilder md, List<(LevelResult Ours, LevelResult Peer)> levels, List<StepProfile> profiles,
        string peerName)
    {
        md.AppendLine($"Per step (this server: engine steps and its engine thread's phases; {peerName}: llama_decode calls):").AppendLine();
        md.AppendLine($"| concurrency | steps | {peerName} steps | wall ms/step | {peerName} wall ms/step | execute ms/step | of which forward | of which sampling | schedule + update ms/step | steady TPOT p50 ms | {peerName} steady TPOT p50 ms |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        static string PerStep(LevelResult r) => r.NumSteps is { } n && n > 0 ? F(r.WallSeconds * 1000 / n) : "–";
        static string Steady(LevelResult r) => r.SteadyTpot is { } s ? F(s.PercentileMs(50)) : "–";
        foreach (var (ours, peer) in levels)
        {
            var p = profiles.FirstOrDefault(x => x.Concurrency == ours.Concurrency);
            md.AppendLine($"| {ours.Concurrency} | {ours.NumSteps?.ToString() ?? "–"} | {peer.NumSteps?.ToString() ?? "–"} | {PerStep(ours)} | {PerStep(peer)} | " +
                          $"{(p is null ? "–" : F(p.Times.ExecuteMs))} | {(p is null ? "–" : F(p.Times.ForwardMs))} | {(p is null ? "–" : F(p.Times.SampleMs))} | {(p is null ? "–" : F(p.Times.ScheduleMs + p.Times.UpdateMs))} | {Steady(ours)} | {Steady(peer)} |");
        }
        md.AppendLine();
    }
}
