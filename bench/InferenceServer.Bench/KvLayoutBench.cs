using System.Diagnostics;
using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>
/// Unified KV cache (one cell pool, every token's attention spans all cells in use, masked per sequence) against
/// llama.cpp's per-sequence layout (kv_unified off: each sequence attends only to its own stream), with N sequences
/// of T tokens each: decode time per step once every sequence holds T tokens.
/// </summary>
internal static class KvLayoutBench
{
    public static void Run(Cli cli)
    {
        string preset = cli.Get("preset", "small");
        int numSeqs = cli.Get("sequences", 16);
        int[] lengths = cli.GetList("tokens", [256, 1024]);
        int threads = cli.Get("threads", 2);
        int steps = cli.Get("steps", 16);
        bool flash = cli.Has("flash-attention");
        using var weights = BenchModels.Load(BenchModels.Ensure(preset));
        int vocab = weights.Vocab.Count;

        Console.WriteLine($"# KV layout: {preset}, {numSeqs} sequences, {threads} threads, flash attention {(flash ? "on" : "off")}, decode step = one token per sequence");
        Console.WriteLine();
        Console.WriteLine("| tokens per sequence | layout | prefill tok/s | decode ms/step (median) | decode tok/s | unified / per-sequence step time |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (int length in lengths)
        {
            var unified = Measure(weights.NativeHandle, vocab, numSeqs, length, steps, threads, unified: true, sharedPrefix: 0, flash);
            var split = Measure(weights.NativeHandle, vocab, numSeqs, length, steps, threads, unified: false, sharedPrefix: 0, flash);
            // Same lengths, but the sequences share all but their last 32 tokens (a common system prompt in the prefix
            // cache): only unified can hold the shared part once.
            var shared = Measure(weights.NativeHandle, vocab, numSeqs, length, steps, threads, unified: true, sharedPrefix: length - 32, flash);
            foreach (var (name, r) in new[] { ("unified", unified), ("per-sequence", split), ($"unified, {length - 32} shared", shared) })
                Console.WriteLine($"| {length} | {name} | {r.PrefillTokensPerSecond:F0} | {r.StepMs:F2} | {numSeqs / r.StepMs * 1000:F0} | " +
                    (name == "per-sequence" ? "" : $"{r.StepMs / split.StepMs:F2}") + " |");
        }
    }

    private sealed record Result(double PrefillTokensPerSecond, double StepMs);

    private static Result Measure(SafeLlamaModelHandle model, int vocab, int numSeqs, int length, int steps, int threads, bool unified,
        int sharedPrefix, bool flashAttention)
    {
        using var context = BenchContexts.Create(model, numSeqs * (length + steps + 32), numSeqs, BenchContexts.Options(threads, unified, flashAttention));
        var random = new Random(1);
        var batch = new LLamaBatch();

        var prefill = Stopwatch.StartNew();
        var prefix = BenchModels.RandomTokens(sharedPrefix, vocab, random);
        for (int s = 0; s < numSeqs; s++)
        {
            var tokens = prefix.Concat(BenchModels.RandomTokens(length - sharedPrefix, vocab, random)).ToArray();
            int first = 0;
            if (sharedPrefix > 0 && s > 0)
            {
                // Reuse sequence 0's cells for the shared part, as a prefix-cache hit does.
                context.MemorySequenceCopy((LLamaSeqId)0, (LLamaSeqId)s, (LLamaPos)0, (LLamaPos)sharedPrefix);
                first = sharedPrefix;
            }
            for (int start = first; start < length; start += 512)
            {
                batch.Clear();
                int end = Math.Min(length, start + 512);
                for (int i = start; i < end; i++)
                    batch.Add((LLamaToken)tokens[i], (LLamaPos)i, (LLamaSeqId)s, i == end - 1);
                Check(context.Decode(batch));
            }
        }
        double prefillTps = (numSeqs * length - (numSeqs - 1) * sharedPrefix) / prefill.Elapsed.TotalSeconds;

        var times = new List<double>();
        for (int step = 0; step < steps; step++)
        {
            batch.Clear();
            for (int s = 0; s < numSeqs; s++)
                batch.Add((LLamaToken)random.Next(300, vocab), (LLamaPos)(length + step), (LLamaSeqId)s, true);
            var sw = Stopwatch.StartNew();
            Check(context.Decode(batch));
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return new Result(prefillTps, times[times.Count / 2]);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {result}");
    }
}
