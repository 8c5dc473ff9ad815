using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class RandomWorkloadTests
{
    [Theory]
    [InlineData(1, true, 0)]
    [InlineData(2, true, 3)]
    [InlineData(3, false, 0)]
    [InlineData(4, true, 2)]
    [InlineData(5, false, 3)]
    [InlineData(6, true, 1)]
    public void Books_agree_with_model_memory_after_every_step(int seed, bool chunked, int cacheHolders)
    {
        var random = new Random(seed);
        var h = new SchedulerHarness(numBlocks: 12, blockSize: 4, maxSequences: 4, maxBatchTokens: 10,
            chunkedPrefill: chunked, maxModelLength: 48, eog: [7], cacheHolders: cacheHolders);
        // A few shared prefixes (like system prompts), each followed by a unique tail.
        int[][] prefixes = [[11, 12, 13, 14, 15, 16, 17, 18], [21, 22, 23, 24], [31, 32, 33, 34, 35, 36]];
        int aborted = 0;
        for (int step = 0; step < 400; step++)
        {
            if (random.NextDouble() < 0.3)
            {
                var prefix = random.NextDouble() < 0.6 ? prefixes[random.Next(prefixes.Length)] : [];
                var tail = Enumerable.Range(0, random.Next(1, 10)).Select(_ => random.Next(1, 90));
                h.Add([.. prefix, .. tail], maxTokens: random.Next(1, 48 - 20), ignoreEos: false,
                    n: random.NextDouble() < 0.2 ? random.Next(2, 4) : 1);
            }
            if (random.NextDouble() < 0.05 && h.All.Values.Where(s => !s.IsFinished).ToList() is { Count: > 0 } live)
            {
                h.Abort(live[random.Next(live.Count)].SequenceId);
                aborted++;
            }
            if (h.Scheduler.HasWork)
                h.Step();
            h.CheckInvariants();
        }
        h.RunToIdle();
        h.CheckInvariants();

        Assert.True(aborted > 0);
        Assert.True(h.Scheduler.NumPreemptions > 0, "the workload should have forced preemptions");
        if (cacheHolders > 0)
            Assert.True(h.Scheduler.NumCachedPromptTokens > 0 && h.Runner.NumHits > 0, "shared prefixes should hit the cache");
        Assert.Equal(h.Kv.NumBlocks, h.Kv.NumFreeBlocks);   // at idle: free (empty or cached) = total
        Assert.Equal(0, h.Runner.NumSlotsHoldingPositions);
        Assert.Empty(h.Runner.LiveSamplers);
        Assert.All(h.All.Values, s => Assert.True(s.IsFinished));
        // Every sequence got exactly one final result and results never follow it.
        Assert.All(h.Results.Values, r => Assert.Single(r, x => x.FinishReason is not null));
        Assert.All(h.Results.Values, r => Assert.NotNull(r[^1].FinishReason));
        Assert.All(h.All.Values.Where(s => s.Status != SequenceStatus.FinishedAborted),
            s => Assert.Equal(s.NumOutputTokens, h.Results[s.SequenceId].Count));
    }
}
