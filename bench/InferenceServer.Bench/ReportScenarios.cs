using InferenceServer.Engine;
using LLama;

namespace InferenceServer.Bench;

/// <summary>Engine-thread time per step over one load level (from the engine's step profile).</summary>
internal sealed record StepProfile(string Target, int Concurrency, long Steps, double WallMs, StepTimes Times, double? DecodeMs, double? SampleMs);

/// <summary>The shared-prefix scenario: this server with its prefix cache on and off, and the peer if there is one.</summary>
internal sealed record SharedPrefixResult(LevelResult On, LevelResult Off, LevelResult? Peer);

/// <summary>One context length and concurrency of the growth scenario.</summary>
internal sealed record GrowthRow(int Context, LevelResult Ceiling, LevelResult Server, LevelResult? Peer);

/// <summary>
/// The measurements of <c>report</c> on one model: each scenario against the raw llama.cpp ceiling, the naive server,
/// this engine in-process, this server over HTTP (started with <paramref name="serverArgs"/> on top of the scenario's
/// settings) and the peer server, if there is one.
/// </summary>
internal sealed class ReportScenarios(string model, LLamaWeights weights, string serverDll, int threads, TimeSpan limit,
    IReadOnlyList<string> serverArgs, PeerServer? peer)
{
    public const string ServerTarget = "server (HTTP)";

    private readonly int _vocab = weights.Vocab.Count;
    private readonly string _modelId = Path.GetFileNameWithoutExtension(model);

    public async Task<List<LevelResult>> SweepAsync(LoadScenario scenario, List<StepProfile>? profiles)
    {
        var results = new List<LevelResult>();
        List<int[]> Prompts(int c) => scenario.Prompts(c, _vocab);
        foreach (int c in scenario.Levels)
            results.Add(CeilingRunner.Run(weights.NativeHandle, c, Prompts(c), scenario.OutputTokens, threads));
        await using (var naive = new NaiveTarget(weights, scenario.PromptTokens + scenario.OutputTokens + 64, threads))
        {
            await LoadSweep.WarmUpAsync(naive, _vocab);
            foreach (int c in scenario.Levels)
                results.Add(await LoadSweep.RunAsync(naive, c, Prompts(c), scenario.OutputTokens, limit));
        }
        var options = EngineSettings(scenario.Levels.Max(), scenario.PromptTokens + scenario.OutputTokens, prefixCaching: true);
        var inProcess = await InProcessEngine.StartAsync(model, options);
        await using (var engine = new EngineTarget(inProcess))
        {
            await LoadSweep.WarmUpAsync(engine, _vocab);
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
        await using (var http = new OpenAiHttpTarget(ServerTarget, server.V1, _modelId))
        {
            await LoadSweep.WarmUpAsync(http, _vocab);
            foreach (int c in scenario.Levels)
            {
                var before = await server.StatsAsync();
                var r = await LoadSweep.RunAsync(http, c, Prompts(c), scenario.OutputTokens, limit);
                results.Add(r);
                if (Profile(r, before, await server.StatsAsync()) is { } p)
                    profiles?.Add(p);
            }
        }
        if (peer is not null)
            await using (var http = peer.Target())
            {
                await LoadSweep.WarmUpAsync(http, _vocab);
                foreach (int c in scenario.Levels)
                    results.Add(await LoadSweep.RunAsync(http, c, Prompts(c), scenario.OutputTokens, limit));
            }
        return results;
    }

    // Per-step means between two stats snapshots taken around one load level.
    /// <summary>The engine thread's time per step over <paramref name="level"/>, from stats read before and after it; null without steps.</summary>
    public static StepProfile? Profile(LevelResult level, EngineStats before, EngineStats after)
    {
        long steps = after.NumSteps - before.NumSteps;
        if (steps <= 0 || after.StepTimes is not { } a)
            return null;
        var b = before.StepTimes ?? new StepTimes(0, 0, 0);
        var perStep = new StepTimes((a.ScheduleMs - b.ScheduleMs) / steps, (a.ExecuteMs - b.ExecuteMs) / steps, (a.UpdateMs - b.UpdateMs) / steps);
        return new StepProfile(level.Target, level.Concurrency, steps, level.WallSeconds * 1000 / steps, perStep, null, null);
    }

    public async Task<SharedPrefixResult> SharedPrefixAsync(int prefixTokens, bool quick)
    {
        var prefix = BenchModels.RandomTokens(prefixTokens, _vocab, new Random(99));
        int c = quick ? 2 : 4, count = quick ? 4 : 8;
        async Task<LevelResult> Run(ILoadTarget target)
        {
            await LoadSweep.RunAsync(target, 1, LoadSweep.Prompts(1, 16, _vocab, 1, prefix), 4, limit); // warm: caches the prefix
            return await LoadSweep.RunAsync(target, c, LoadSweep.Prompts(count, 16, _vocab, 2, prefix), 16, limit);
        }
        async Task<LevelResult> Ours(bool cache)
        {
            await using var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(EngineSettings(c, prefixTokens + 32, cache)));
            await using var http = new OpenAiHttpTarget(cache ? "server, prefix cache on" : "server, prefix cache off", server.V1, _modelId);
            return await Run(http);
        }
        var on = await Ours(true);
        var off = await Ours(false);
        if (peer is null)
            return new(on, off, null);
        await using var target = peer.Target();
        return new(on, off, await Run(target));
    }

    public async Task<List<GrowthRow>> GrowthAsync(int[] contexts, int[] levels)
    {
        var rows = new List<GrowthRow>();
        // Long enough that every request is still decoding when the last prompt is in (prefill runs MaxBatchTokens a
        // step), so the steady-state TPOT has gaps to measure; the prompt is the rest of the context.
        int Output(int context, int c) => 32 + context * (c - 1) / new EngineOptions().MaxBatchTokens;
        // The per-sequence layout rounds a stream down to 256 cells.
        static int Cells(int context) => (context + 255) / 256 * 256;
        await using var peerTarget = peer?.Target();
        if (peerTarget is not null)
            await LoadSweep.WarmUpAsync(peerTarget, _vocab);
        foreach (int context in contexts)
        {
            var options = EngineSettings(levels.Max(), Cells(context), prefixCaching: false);
            await using var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(options));
            await using var http = new OpenAiHttpTarget(ServerTarget, server.V1, _modelId);
            await LoadSweep.WarmUpAsync(http, _vocab);
            foreach (int c in levels)
            {
                int output = Output(context, c);
                var prompts = LoadSweep.Prompts(c, context - output, _vocab, context + c);
                // The ceiling in the server's layout (with its default flash attention): a unified loop at 16 × 4k
                // would measure attention over everybody's cells, which a per-sequence server does not pay.
                var ceiling = CeilingRunner.Run(weights.NativeHandle, c, prompts, output, threads, unified: !PerSequence, flashAttention: PerSequence);
                var ours = await LoadSweep.RunAsync(http, c, prompts, output, limit);
                rows.Add(new(context, ceiling, ours, peerTarget is null ? null : await LoadSweep.RunAsync(peerTarget, c, prompts, output, limit)));
            }
        }
        return rows;
    }

    private bool PerSequence => serverArgs.Any(a => a.Equals("--Engine:KvLayout=PerSequence", StringComparison.OrdinalIgnoreCase));

    private EngineOptions EngineSettings(int maxSequences, int tokensPerSequence, bool prefixCaching) => new()
    {
        MaxSequences = Math.Max(maxSequences, 1), Threads = threads, PrefixCaching = prefixCaching,
        NumBlocks = (maxSequences * (tokensPerSequence + 32) + 15) / 16 + 16,
    };

    // The scenario's settings, then --server-arg: the configuration's command line lets the last value of a key win.
    private string[] ServerArgs(EngineOptions o) =>
    [
        "--Engine:MaxSequences", o.MaxSequences.ToString(), "--Engine:Threads", o.Threads.ToString(),
        "--Engine:NumBlocks", o.NumBlocks.ToString(), "--Engine:PrefixCaching", o.PrefixCaching.ToString(),
        "--Engine:MaxWaiting", "1000", "--Engine:MaxN", o.MaxSequences.ToString(),
        .. serverArgs,
    ];
}
