using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class RandomWorkloadTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public void Books_agree_with_model_memory_after_every_step(int seed, bool chunked)
    {
        var random = new Random(seed);
        var h = new SchedulerHarness(numBlocks: 12, blockSize: 4, maxSequences: 4, maxBatchTokens: 10,
            chunkedPrefill: chunked, maxModelLength: 48, eog: [7]);
        int aborted = 0;
        for (int step = 0; step < 400; step++)
        {
            if (random.NextDouble() < 0.3)
                h.Add(promptLength: random.Next(1, 20), maxTokens: random.Next(1, 48 - 20), firstToken: random.Next(1, 90));
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
        Assert.Equal(h.Kv.NumBlocks, h.Kv.NumFreeBlocks);
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
