using System.Diagnostics;
using InferenceServer.Engine;
using InferenceServer.Engine.Sequences;
using InferenceServer.Testing;

namespace InferenceServer.Bench;

/// <summary>
/// Inter-token latency of running streams while a long prompt (about 3/4 of the context) arrives, with chunked
/// prefill on and off, on the in-process engine.
/// </summary>
internal static class ChunkedPrefillBench
{
    public static async Task RunAsync(Cli cli)
    {
        string preset = cli.Get("preset", "small");
        int threads = cli.Get("threads", 2);
        int streams = cli.Get("streams", 4);
        int[] budgets = cli.GetList("batch-tokens", [512, 256, 128]);
        string model = BenchModels.Ensure(preset);
        int context = BenchModels.Preset(preset).ContextLength;
        int longPrompt = context * 3 / 4;

        Console.WriteLine($"# Chunked prefill: {preset}, {streams} running streams, a {longPrompt}-token prompt arrives " +
                          $"(context {context}), {threads} threads");
        Console.WriteLine("Inter-token latency (ITL) of the running streams over the gaps that overlap the long prompt's prefill.");
        Console.WriteLine();
        Console.WriteLine("| prefill | token budget | ITL p50 ms | ITL p99 ms | ITL max ms | long prompt TTFT ms | gaps measured |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (chunked, budget) in budgets.Select(b => (true, b)).Append((false, budgets[0])))
        {
            var r = await MeasureAsync(model, context, streams, longPrompt, budget, threads, chunked);
            Console.WriteLine($"| {(chunked ? "chunked" : "whole (no chunking)")} | {budget} | {r.Itl.PercentileMs(50):F1} | " +
                              $"{r.Itl.PercentileMs(99):F1} | {r.Itl.MaxMs:F1} | {r.TtftMs:F0} | {r.Itl.Count} |");
        }
    }

    private sealed record Result(LatencyStats Itl, double TtftMs);

    private static async Task<Result> MeasureAsync(string model, int context, int numStreams, int longPrompt, int budget, int threads, bool chunked)
    {
        await using var engine = await InProcessEngine.StartAsync(model, new EngineOptions
        {
            Threads = threads, MaxBatchTokens = budget, ChunkedPrefill = chunked, PrefixCaching = false,
            NumBlocks = context / 16, MaxSequences = numStreams + 1,
        });
        var random = new Random(3);
        int vocab = engine.Host.Tokenizer.VocabSize;
        var clock = Stopwatch.StartNew();
        var arrivals = Enumerable.Range(0, numStreams).Select(_ => new List<double>()).ToArray();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, numStreams).Select(i => Task.Run(async () =>
        {
            var stream = engine.Client.Submit(BenchModels.RandomTokens(16, vocab, random), new SamplingParams
            {
                Temperature = 0, MaxTokens = context - longPrompt - 64, IgnoreEos = true,
            });
            try
            {
                await foreach (var _ in stream.ReadAllAsync(stop.Token))
                    lock (arrivals[i])
                        arrivals[i].Add(clock.Elapsed.TotalMilliseconds);
            }
            catch (OperationCanceledException) { }
        })).ToArray();

        await Poll.UntilAsync(() => arrivals.All(a => { lock (a) return a.Count >= 20; }), TimeSpan.FromMinutes(10),
            "the decoding streams did not reach 20 tokens each within 10 minutes");
        double t0 = clock.Elapsed.TotalMilliseconds;
        var prompt = engine.Client.Submit(BenchModels.RandomTokens(longPrompt, vocab, random), new SamplingParams { Temperature = 0, MaxTokens = 1 });
        await foreach (var _ in prompt.ReadAllAsync()) { }
        double t1 = clock.Elapsed.TotalMilliseconds;
        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(readers);

        var itl = new LatencyStats();
        foreach (var a in arrivals)
            for (int k = 1; k < a.Count; k++)
                if (a[k] >= t0 && a[k - 1] <= t1)
                    itl.RecordMs(a[k] - a[k - 1]);
        return new Result(itl, t1 - t0);
    }
}
