using System.Globalization;
using System.Text;
using InferenceServer.Engine;

namespace InferenceServer.Bench;

/// <summary>
/// <c>report</c>: every scenario against every target in one run — the raw llama.cpp ceiling, the naive server, this
/// engine in-process and this server over HTTP — then a markdown report with ratios and PNG plots.
/// <c>--quick</c> runs a small version on the tiny model (under two minutes) and checks the numbers are sane.
/// </summary>
internal static class ReportCommand
{
    private sealed record Scenario(string Name, int PromptTokens, int OutputTokens, int[] Levels, Func<int, int> Requests);

    public static async Task<int> RunAsync(Cli cli)
    {
        bool quick = cli.Has("quick");
        string preset = cli.Get("preset", quick ? "tiny" : "small");
        string weightType = cli.Get("weights", "f16");
        int threads = cli.Get("threads", 2);
        string model = BenchModels.Ensure(preset, weightType);
        var decode = quick ? new Scenario("decode-heavy", 16, 16, [1, 4], c => 4) : new Scenario("decode-heavy", 32, 128, [1, 2, 4, 8, 16, 32], c => Math.Max(4, 2 * c));
        var prefill = quick ? new Scenario("prefill-heavy", 128, 4, [1, 4], c => 4) : new Scenario("prefill-heavy", 1024, 16, [1, 4, 16], c => Math.Max(4, c));
        // 4000 rather than 4096: prompt plus 32 output tokens must fit the presets' 4096-token training context.
        int[] growthContexts = quick ? [128] : [256, 1024, 4000];
        int[] growthLevels = quick ? [1, 4] : [1, 16];
        int sharedPrefix = quick ? 256 : 1024;
        // --scenarios decode,prefill,shared,growth (default: all) runs a subset, e.g. on a slow model.
        var only = cli.Get("scenarios", "decode,prefill,shared,growth").Split(',').ToHashSet();

        var md = new StringBuilder();
        md.AppendLine(quick ? "# Benchmark (quick mode)" : "# Benchmarks").AppendLine();
        md.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Machine()}").AppendLine($"- Model: synthetic `{preset}` ({BenchModels.Preset(preset).ParameterCount:N0} parameters), weights {weightType}; {threads} llama.cpp threads; every target measured one after another in one run, nothing else running")
          .AppendLine($"- Command: `dotnet run -c Release --project bench/InferenceServer.Bench -- report {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}`").AppendLine();

        string serverDll = BenchServer.Publish();
        using var weights = BenchModels.Load(model);
        int vocab = weights.Vocab.Count;
        var all = new Dictionary<string, List<LevelResult>>();
        // Each section is printed as soon as it is measured, so a long run shows progress and keeps what it has.
        void Flush()
        {
            Console.Write(md.ToString());
            md.Clear();
        }
        var report = new StringBuilder();
        void Section(Action<StringBuilder> write)
        {
            write(md);
            report.Append(md);
            Flush();
        }
        Section(_ => { });
        foreach (var scenario in new[] { decode, prefill }.Where(s => only.Contains(s.Name.Split('-')[0])))
        {
            var results = await SweepAsync(scenario, model, weights, serverDll, threads, vocab);
            all[scenario.Name] = results;
            Section(m => AppendTable(m, $"{scenario.Name}: {scenario.PromptTokens}-token prompts, {scenario.OutputTokens} tokens out", results));
        }
        (LevelResult On, LevelResult Off)? shared = null;
        if (only.Contains("shared"))
        {
            var measured = await SharedPrefixAsync(model, serverDll, threads, vocab, sharedPrefix, quick);
            shared = measured;
            Section(m => AppendSharedPrefix(m, measured, sharedPrefix));
        }
        if (only.Contains("growth"))
        {
            var growth = await GrowthAsync(model, weights, serverDll, threads, vocab, growthContexts, growthLevels);
            Section(m => AppendGrowth(m, growth));
        }
        if (all.ContainsKey("decode-heavy"))
            Section(m => AppendTargets(m, all["decode-heavy"], shared));

        if (cli.Get("out") is { } output && all.ContainsKey("decode-heavy"))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + $"-{preset}-{weightType}");
            Plots.Write(all["decode-heavy"], stem + "-throughput.png", "output tokens/s", r => r.OutputTokensPerSecond);
            Plots.Write(all["decode-heavy"], stem + "-ttft.png", "TTFT p50 (ms)", r => r.Ttft.PercentileMs(50));
            Section(m => m.AppendLine($"![throughput]({Path.GetFileName(stem)}-throughput.png) ![TTFT]({Path.GetFileName(stem)}-ttft.png)").AppendLine());
            File.WriteAllText(output, report.ToString());
        }
        if (cli.Get("out") is { } path && !all.ContainsKey("decode-heavy"))
            File.WriteAllText(path, report.ToString());
        return quick ? Sanity(all, decode, prefill) : 0;
    }

    private static async Task<List<LevelResult>> SweepAsync(Scenario scenario, string model, LLama.LLamaWeights weights, string serverDll,
        int threads, int vocab)
    {
        var results = new List<LevelResult>();
        int maxC = scenario.Levels.Max();
        var limit = TimeSpan.FromMinutes(20);
        foreach (int c in scenario.Levels)
            results.Add(CeilingRunner.Run(weights.NativeHandle, c, LoadSweep.Prompts(scenario.Requests(c), scenario.PromptTokens, vocab, c), scenario.OutputTokens, threads));
        await using (var naive = new NaiveTarget(weights, scenario.PromptTokens + scenario.OutputTokens + 64, threads))
            foreach (int c in scenario.Levels)
                results.Add(await LoadSweep.RunAsync(naive, c, LoadSweep.Prompts(scenario.Requests(c), scenario.PromptTokens, vocab, c), scenario.OutputTokens, limit));
        var options = EngineSettings(maxC, scenario.PromptTokens + scenario.OutputTokens, threads, prefixCaching: true);
        await using (var engine = new EngineTarget(await InProcessEngine.StartAsync(model, options)))
            foreach (int c in scenario.Levels)
                results.Add(await LoadSweep.RunAsync(engine, c, LoadSweep.Prompts(scenario.Requests(c), scenario.PromptTokens, vocab, c), scenario.OutputTokens, limit));
        await using (var server = await BenchServer.StartAsync(serverDll, model, ServerArgs(options)))
        await using (var http = new OpenAiHttpTarget("server (HTTP)", server.V1, Path.GetFileNameWithoutExtension(model)))
            foreach (int c in scenario.Levels)
                results.Add(await LoadSweep.RunAsync(http, c, LoadSweep.Prompts(scenario.Requests(c), scenario.PromptTokens, vocab, c), scenario.OutputTokens, limit));
        return results;
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
            foreach (int c in levels)
            {
                var prompts = LoadSweep.Prompts(c, context, vocab, context + c);
                var ceiling = CeilingRunner.Run(weights.NativeHandle, c, prompts, output, threads);
                rows.Add((context, ceiling, await LoadSweep.RunAsync(http, c, prompts, output, TimeSpan.FromMinutes(30))));
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

    private static string F(double x) => double.IsNaN(x) ? "–" : x.ToString(x >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static void AppendTable(StringBuilder md, string title, List<LevelResult> results)
    {
        md.AppendLine($"## {title}").AppendLine();
        md.AppendLine("| target | concurrency | requests | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | TPOT p50 ms | TPOT p99 ms | e2e p50 ms | e2e p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            md.AppendLine($"| {r.Target} | {r.Concurrency} | {r.Requests.Count} | {F(r.OutputTokensPerSecond)} | {r.RequestsPerSecond:F2} | " +
                          $"{F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.Tpot.PercentileMs(50))} | {F(r.Tpot.PercentileMs(99))} | " +
                          $"{F(r.E2e.PercentileMs(50))} | {F(r.E2e.PercentileMs(99))} |");
        md.AppendLine();
    }

    private static void AppendSharedPrefix(StringBuilder md, (LevelResult On, LevelResult Off) shared, int prefix)
    {
        md.AppendLine($"## shared-prefix: {prefix}-token common prefix, 16-token unique suffixes, 16 tokens out").AppendLine();
        md.AppendLine("| server | TTFT p50 ms | TTFT p99 ms | output tok/s |").AppendLine("|---|---:|---:|---:|");
        foreach (var r in new[] { shared.On, shared.Off })
            md.AppendLine($"| {r.Target} | {F(r.Ttft.PercentileMs(50))} | {F(r.Ttft.PercentileMs(99))} | {F(r.OutputTokensPerSecond)} |");
        md.AppendLine();
    }

    private static void AppendGrowth(StringBuilder md, List<(int Context, LevelResult Ceiling, LevelResult Server)> growth)
    {
        md.AppendLine("## growth: TPOT as the context per sequence grows (unified KV: attention spans all sequences' cells)").AppendLine();
        md.AppendLine("| context tokens | concurrency | ceiling TPOT p50 ms | server TPOT p50 ms | server / ceiling |").AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var (context, ceiling, server) in growth)
            md.AppendLine($"| {context} | {server.Concurrency} | {F(ceiling.Tpot.PercentileMs(50))} | {F(server.Tpot.PercentileMs(50))} | " +
                          $"{server.Tpot.PercentileMs(50) / ceiling.Tpot.PercentileMs(50):F2} |");
        md.AppendLine();
    }

    private static void AppendTargets(StringBuilder md, List<LevelResult> decode, (LevelResult On, LevelResult Off)? shared)
    {
        LevelResult Of(string prefix, int c) => decode.First(r => r.Target.StartsWith(prefix) && r.Concurrency == c);
        md.AppendLine("## Targets (decode-heavy, output tokens/s)").AppendLine();
        md.AppendLine("| check | target | measured |").AppendLine("|---|---|---:|");
        foreach (int c in decode.Select(r => r.Concurrency).Distinct().Where(c => c >= 4))
        {
            md.AppendLine($"| server / ceiling, concurrency {c} | ≥ 0.9 | {Ratio(Of("server", c).OutputTokensPerSecond, Of("ceiling", c).OutputTokensPerSecond)} |");
            md.AppendLine($"| engine / ceiling, concurrency {c} | – | {Ratio(Of("engine", c).OutputTokensPerSecond, Of("ceiling", c).OutputTokensPerSecond)} |");
        }
        int top = decode.Max(r => r.Concurrency) >= 16 ? 16 : decode.Max(r => r.Concurrency);
        md.AppendLine($"| server / naive, concurrency {top} | ≥ 5 | {Ratio(Of("server", top).OutputTokensPerSecond, Of("naive", top).OutputTokensPerSecond)} |");
        md.AppendLine($"| server TPOT / ceiling TPOT, concurrency 1 | ≤ 1.10 | {Ratio(Of("server", 1).Tpot.PercentileMs(50), Of("ceiling", 1).Tpot.PercentileMs(50))} |");
        if (shared is { } s)
            md.AppendLine($"| shared-prefix TTFT, cache on / off | ≤ 0.25 | {Ratio(s.On.Ttft.PercentileMs(50), s.Off.Ttft.PercentileMs(50))} |");
        md.AppendLine();
    }

    private static string Ratio(double a, double b) => $"{a / b:F2} ({F(a)} / {F(b)})";

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

    private static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        long memGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30;
        return $"{Environment.ProcessorCount} cores ({cpu}), {memGiB} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
