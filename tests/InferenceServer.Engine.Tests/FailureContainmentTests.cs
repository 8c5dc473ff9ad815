using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

/// <summary>A failed batch ends only the sequences that fail alone, and leaves memory and books in step.</summary>
public class FailureContainmentTests
{
    private static SchedulerHarness Harness() =>
        new(numBlocks: 16, blockSize: 4, maxSequences: 4, maxBatchTokens: 16, maxModelLength: 64, cacheHolders: 2);

    // Three requests sharing a prefix, run to the end; returns their outputs.
    private static List<int[]> RunThree(SchedulerHarness h, Action<SchedulerHarness, List<Sequence>>? meddle = null)
    {
        int[] prefix = [11, 12, 13, 14, 15, 16, 17, 18];
        var seqs = new List<Sequence>
        {
            h.Add([.. prefix, 1, 2], maxTokens: 8),
            h.Add([.. prefix, 3], maxTokens: 8),
            h.Add([.. prefix, 4, 5, 6], maxTokens: 8),
        };
        h.Step();
        h.Step();
        h.CheckInvariants();
        meddle?.Invoke(h, seqs);
        // As the engine loop, up to the empty step that carries the last frees to the runner.
        while (h.Scheduler.HasWork || h.Core.HasPendingKvEvents)
        {
            h.Step();
            h.CheckInvariants();
        }
        return [.. seqs.Select(s => h.Output(s.SequenceId))];
    }

    [Fact]
    public void A_transient_failure_is_retried_and_nobody_notices()
    {
        var expected = RunThree(Harness());
        var h = Harness();
        h.Runner.CorruptOnFailure = true;

        var outputs = RunThree(h, (h, _) => h.Runner.NumBatchesToFail = 1);

        Assert.Equal(expected, outputs);
        Assert.Equal(1, h.Runner.NumInjectedFailures);
        Assert.Equal(1, h.Core.NumFailedSteps);
        Assert.True(h.Runner.NumReconciles >= 1);
        Assert.All(h.Results.Values, r => Assert.Equal(FinishReason.Length, r[^1].FinishReason));
        Assert.Equal(16, h.Kv.NumFreeBlocks);
    }

    [Fact]
    public void A_sequence_that_fails_alone_ends_with_an_error_and_the_others_finish_unchanged()
    {
        var expected = RunThree(Harness());
        var h = Harness();
        h.Runner.CorruptOnFailure = true;

        var outputs = RunThree(h, (h, seqs) => h.Runner.FailFor = seqs[1].SequenceId);

        var failed = h.All.Values.Single(s => s.Status == SequenceStatus.FinishedError);
        Assert.Equal(FinishReason.Error, h.Results[failed.SequenceId][^1].FinishReason);
        Assert.Equal("The model failed to compute this request.", h.Results[failed.SequenceId][^1].Error);
        Assert.Equal(expected[0], outputs[0]);
        Assert.Equal(expected[2], outputs[2]);
        // Whole batch, retried batch, then each alone: only the second fails alone.
        Assert.Equal(3, h.Runner.NumInjectedFailures);
        Assert.Equal(16, h.Kv.NumFreeBlocks);
        Assert.Equal(0, h.Runner.NumStreamsHoldingPositions);
        Assert.Empty(h.Runner.LiveSamplers);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Random_faults_under_a_random_workload_keep_books_and_memory_in_step(int seed)
    {
        var random = new Random(seed);
        var h = new SchedulerHarness(numBlocks: 12, blockSize: 4, maxSequences: 4, maxBatchTokens: 8, maxModelLength: 48,
            eog: [7], cacheHolders: 2, maxIdleCachedBlocks: 1);
        h.Runner.CorruptOnFailure = true;
        int[][] prefixes = [[11, 12, 13, 14, 15, 16, 17, 18], [21, 22, 23, 24]];
        for (int step = 0; step < 500; step++)
        {
            if (random.NextDouble() < 0.3)
            {
                var tail = Enumerable.Range(0, random.Next(1, 20)).Select(_ => random.Next(1, 90));
                int[] prompt = [.. prefixes[random.Next(prefixes.Length)], .. tail];
                int n = random.NextDouble() < 0.2 ? 2 : 1;
                if (h.Kv.BlocksForAdmission(prompt.Length, n) <= 12)
                    h.Add(prompt, maxTokens: random.Next(1, 48 - prompt.Length), n: n);
            }
            if (random.NextDouble() < 0.05)
                h.Runner.NumBatchesToFail = random.Next(1, 3);
            if (random.NextDouble() < 0.02 && h.All.Values.Where(s => s.Status == SequenceStatus.Running).ToList() is { Count: > 0 } running)
                h.Runner.FailFor = running[random.Next(running.Count)].SequenceId;
            if (h.Scheduler.HasWork)
                h.Step();
            h.CheckInvariants();
        }
        h.Runner.NumBatchesToFail = 0;
        h.Runner.FailFor = null;
        h.RunToIdle();
        h.CheckInvariants();

        Assert.True(h.Core.NumFailedSteps > 5);
        Assert.Contains(h.All.Values, s => s.Status == SequenceStatus.FinishedError);
        Assert.True(h.All.Values.Count(s => s.Status == SequenceStatus.FinishedError) < h.All.Count / 4);
        Assert.Equal(12, h.Kv.NumFreeBlocks);
        Assert.Equal(0, h.Runner.NumStreamsHoldingPositions);
        Assert.Empty(h.Runner.LiveSamplers);
        Assert.All(h.Results.Values, r => Assert.Single(r, x => x.FinishReason is not null));
    }
}
