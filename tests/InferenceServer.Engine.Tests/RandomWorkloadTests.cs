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
        var h = new SchedulerHarness(numBlocks: 12, blockSize: 4, maxSequences: 4, maxBatchTokens: 10,
            chunkedPrefill: chunked, maxModelLength: 48, eog: [7], cacheHolders: cacheHolders);
        Run(h, new Random(seed), maxTail: 10, steps: 400);

        Assert.True(h.Scheduler.NumPreemptions > 0, "the workload should have forced preemptions");
        if (cacheHolders > 0)
            Assert.True(h.Scheduler.NumCachedPromptTokens > 0 && h.Runner.NumHits > 0, "shared prefixes should hit the cache");
    }

    /// <summary>
    /// Per-sequence layout: free streams keep their cells and new sequences reuse the longest common prefix, through
    /// preemption, aborts and forks; with fixed chunks only whole chunks.
    /// </summary>
    [Theory]
    [InlineData(21, true, false, 16)]
    [InlineData(22, false, false, 16)]
    [InlineData(23, true, true, 16)]
    [InlineData(24, true, true, 1)]
    [InlineData(25, true, false, 1)]
    [InlineData(26, false, false, 1)]
    public void Books_agree_with_model_memory_when_free_slots_retain_their_cells(int seed, bool chunked, bool fixedChunks, int minCopyTokens)
    {
        // Fixed chunks of 4 tokens, so the shared prefixes of 4 and 8 tokens are whole chunks.
        var h = new SchedulerHarness(numBlocks: 12, blockSize: 4, maxSequences: 4, maxBatchTokens: fixedChunks ? 4 : 10,
            chunkedPrefill: chunked, maxModelLength: 48, eog: [7], fixedChunks: fixedChunks, retainStreams: true);
        h.Scheduler.MinCopyTokens = minCopyTokens;
        Run(h, new Random(seed), maxTail: 10, steps: 400);
        if (minCopyTokens == 1)
            Assert.True(h.Runner.NumCopies > 0, "running streams with shared prefixes should have been copied");

        Assert.True(h.Scheduler.NumPreemptions > 0, "the workload should have forced preemptions");
        Assert.True(h.Scheduler.NumCachedPromptTokens > 0 && h.Runner.NumTrims > 0, "shared prefixes should reuse retained cells");
        Assert.NotEmpty(h.Scheduler.RetainedStreams);
    }

    /// <summary>
    /// The corners where books and memory drifted apart once: prompts several times the token budget, max_tokens 1 and
    /// 2 (a sequence that finishes in the step its prefill completes), idle-cache bounds of 0 and 1 (blocks cached and
    /// evicted before the runner hears of either), tiny pools, and aborts while waiting, prefilling or decoding.
    /// </summary>
    [Theory]
    [InlineData(11, 8, 0)]
    [InlineData(12, 8, 1)]
    [InlineData(13, 16, 0)]
    [InlineData(14, 16, 2)]
    [InlineData(15, 10, -1)]
    public void Books_agree_with_model_memory_with_long_prompts_short_outputs_and_tight_caches(int seed, int numBlocks, int maxIdle)
    {
        var h = new SchedulerHarness(numBlocks: numBlocks, blockSize: 4, maxSequences: 4, maxBatchTokens: 8,
            maxModelLength: numBlocks * 4, eog: [7], cacheHolders: 2, maxIdleCachedBlocks: maxIdle);
        var phases = Run(h, new Random(seed), maxTail: numBlocks * 4 - 12, steps: 600, shortOutputs: true);

        Assert.True(h.Scheduler.NumCachedPromptTokens > 0, "shared prefixes should hit the cache");
        Assert.True(h.Kv.NumEvictions > 0, "the tight idle bound should have evicted");
        Assert.Superset(new HashSet<string> { "waiting", "prefill", "decode" }, phases);
    }

    private static readonly string[] Phases = ["waiting", "prefill", "decode"];

    private static string PhaseOf(Sequence s) =>
        s.Status != SequenceStatus.Running ? "waiting" : s.NumComputedTokens < s.NumPromptTokens ? "prefill" : "decode";

    // Random arrivals (shared prefixes, n > 1) and aborts, invariants after every step; returns the phases aborts hit.
    private static HashSet<string> Run(SchedulerHarness h, Random random, int maxTail, int steps, bool shortOutputs = false)
    {
        int[][] prefixes = [[11, 12, 13, 14, 15, 16, 17, 18], [21, 22, 23, 24], [31, 32, 33, 34, 35, 36]];
        int maxModelLength = h.Scheduler.Model.MaxModelLength;
        var phases = new HashSet<string>();
        for (int step = 0; step < steps; step++)
        {
            if (random.NextDouble() < 0.3)
            {
                var prefix = random.NextDouble() < 0.6 ? prefixes[random.Next(prefixes.Length)] : [];
                var tail = Enumerable.Range(0, random.Next(1, maxTail)).Select(_ => random.Next(1, 90)).ToArray();
                int promptLength = prefix.Length + tail.Length;
                int maxTokens = shortOutputs && random.NextDouble() < 0.5 ? random.Next(1, 3)
                    : random.Next(1, Math.Max(2, maxModelLength - promptLength));
                int n = random.NextDouble() < 0.2 ? random.Next(2, 4) : 1;
                // The engine refuses requests whose n choices could never be admitted together (see EngineClient.Submit).
                if (h.Kv.BlocksForAdmission(promptLength, n) <= h.Kv.NumBlocks)
                    h.Add([.. prefix, .. tail], maxTokens, ignoreEos: false, n: n);
            }
            if (random.NextDouble() < 0.08)
            {
                // Aim at a phase, so every phase gets its aborts however short it is.
                string phase = Phases[random.Next(Phases.Length)];
                if (h.All.Values.Where(s => !s.IsFinished && PhaseOf(s) == phase).ToList() is { Count: > 0 } inPhase)
                {
                    h.Abort(inPhase[random.Next(inPhase.Count)].SequenceId);
                    phases.Add(phase);
                }
            }
            if (h.Scheduler.HasWork)
                h.Step();
            h.CheckInvariants();
        }
        h.RunToIdle();
        h.CheckInvariants();

        Assert.NotEmpty(phases);
        Assert.Equal(h.Kv.NumBlocks, h.Kv.NumFreeBlocks);   // at idle: free (empty or cached) = total
        Assert.Equal(h.Scheduler.RetainedStreams.Count, h.Runner.NumStreamsHoldingPositions);
        Assert.Empty(h.Runner.LiveSamplers);
        Assert.All(h.All.Values, s => Assert.True(s.IsFinished));
        // Every sequence got exactly one final result and results never follow it.
        Assert.All(h.Results.Values, r => Assert.Single(r, x => x.FinishReason is not null));
        Assert.All(h.Results.Values, r => Assert.NotNull(r[^1].FinishReason));
        Assert.All(h.All.Values.Where(s => s.Status != SequenceStatus.FinishedAborted),
            s => Assert.Equal(s.NumOutputTokens, h.Results[s.SequenceId].Count));
        return phases;
    }
}
