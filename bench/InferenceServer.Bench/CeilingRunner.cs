using System.Diagnostics;
using InferenceServer.Engine;
using LLama.Native;

namespace InferenceServer.Bench;

/// <summary>
/// The raw ceiling: a plain llama.cpp batched-decode loop, no scheduler and no HTTP. Requests run in rounds of
/// <c>concurrency</c> sequences: one batched prefill of all prompts, then one decode per step with one token per
/// sequence (greedy). The context is the server's for <c>options</c> (<see cref="BenchContexts"/>); in the per-sequence
/// layout each sequence gets its own stream of cells (rounded up to llama.cpp's 256-cell padding).
/// </summary>
internal static class CeilingRunner
{
    public static LevelResult Run(SafeLlamaModelHandle model, int concurrency, IReadOnlyList<int[]> prompts, int outputTokens,
        EngineOptions options)
    {
        int maxPrompt = prompts.Max(p => p.Length);
        int cellsPerSequence = maxPrompt + outputTokens + 16;
        if (options.ResolveKvLayout() == KvLayout.PerSequence)
            cellsPerSequence = (cellsPerSequence + EngineOptions.StreamPadding - 1) / EngineOptions.StreamPadding * EngineOptions.StreamPadding;
        using var context = BenchContexts.Create(model, concurrency * cellsPerSequence, concurrency, options);
        var batch = new LLamaBatch();
        var timings = new List<RequestTiming>();
        var wall = Stopwatch.StartNew();
        for (int start = 0; start < prompts.Count; start += concurrency)
        {
            var round = prompts.Skip(start).Take(concurrency).ToList();
            context.MemoryClear();
            var sw = Stopwatch.StartNew();
            var last = Prefill(context, batch, round);
            double ttft = sw.Elapsed.TotalMilliseconds;
            for (int step = 1; step < outputTokens; step++)
            {
                batch.Clear();
                var stepRows = new int[round.Count];
                for (int s = 0; s < round.Count; s++)
                    stepRows[s] = batch.Add((LLamaToken)last[s], (LLamaPos)(round[s].Length + step - 1), (LLamaSeqId)s, true);
                Check(context.Decode(batch));
                for (int s = 0; s < round.Count; s++)
                    last[s] = Argmax(context.GetLogitsIth(stepRows[s]));
            }
            double e2e = sw.Elapsed.TotalMilliseconds;
            timings.AddRange(round.Select(_ => new RequestTiming(ttft, e2e, outputTokens)));
        }
        return new LevelResult("ceiling (llama.cpp batch loop)", concurrency, timings, wall.Elapsed.TotalSeconds);
    }

    // Prefills every prompt in batches of at most 512 tokens; returns each sequence's first (greedy) token.
    private static int[] Prefill(SafeLLamaContextHandle context, LLamaBatch batch, List<int[]> prompts)
    {
        var queue = prompts.SelectMany((prompt, s) => prompt.Select((t, i) => (s, t, i, last: i == prompt.Length - 1))).ToList();
        var first = new int[prompts.Count];
        for (int offset = 0; offset < queue.Count; offset += 512)
        {
            batch.Clear();
            var ends = new List<(int Seq, int Row)>();
            foreach (var (s, t, i, last) in queue.Skip(offset).Take(512))
            {
                int row = batch.Add((LLamaToken)t, (LLamaPos)i, (LLamaSeqId)s, last);
                if (last)
                    ends.Add((s, row));
            }
            Check(context.Decode(batch));
            foreach (var (s, row) in ends)
                first[s] = Argmax(context.GetLogitsIth(row));
        }
        return first;
    }

    private static int Argmax(Span<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best])
                best = i;
        return best;
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {result}");
    }
}
