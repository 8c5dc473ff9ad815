using System.Diagnostics;

namespace InferenceServer.Bench;

/// <summary>Closed-loop load: at each concurrency level, that many workers send the level's requests back to back.</summary>
internal static class LoadSweep
{
    /// <summary>Runs <paramref name="prompts"/> through <paramref name="target"/> with <paramref name="concurrency"/> workers.</summary>
    public static async Task<LevelResult> RunAsync(ILoadTarget target, int concurrency, IReadOnlyList<int[]> prompts, int outputTokens,
        TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        var timings = new RequestTiming[prompts.Count];
        int next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < prompts.Count)
                timings[i] = await target.RunAsync(prompts[i], outputTokens, cts.Token);
        });
        await Task.WhenAll(workers);
        return new LevelResult(target.Name, concurrency, timings, wall.Elapsed.TotalSeconds);
    }

    /// <summary>Random prompts of <paramref name="length"/> tokens, optionally after a shared prefix.</summary>
    public static List<int[]> Prompts(int count, int length, int vocabSize, int seed, int[]? sharedPrefix = null)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => (sharedPrefix ?? []).Concat(BenchModels.RandomTokens(length, vocabSize, random)).ToArray())
            .ToList();
    }
}
