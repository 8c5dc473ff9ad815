using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class ParallelSamplesTests
{
    [Fact]
    public void The_prompt_is_prefilled_once_and_forked_sharing_full_blocks_and_copying_the_partial_one()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxSequences: 4);
        var parent = h.Add(Enumerable.Range(1, 10).ToArray(), maxTokens: 3, n: 3);
        var children = parent.PendingForks.ToList();

        var first = h.Step();

        Assert.Single(first.Scheduled);                                  // one prefill of 10 tokens, not three
        Assert.Equal(10, first.NumScheduledTokens);
        Assert.Equal(children.Select(c => c.SequenceId), first.Scheduled[0].Forks.Select(f => f.SequenceId));
        Assert.Equal([0, 1, 2], parent.BlockTable);
        Assert.Equal([0, 1, 3], children[0].BlockTable);                 // shares the two full blocks, owns a copy of the third
        Assert.Equal([0, 1, 4], children[1].BlockTable);
        Assert.Equal(3, h.Kv.Pool[0].RefCount);
        Assert.Equal(1, h.Kv.Pool[2].RefCount);
        Assert.All(children, c => Assert.Equal(10, c.NumComputedTokens));
        Assert.Equal(3, h.Scheduler.NumRunning);
        h.CheckInvariants();

        var second = h.Step();
        Assert.Equal(3, second.NumScheduledTokens);                       // then three decodes side by side
        h.RunToIdle();
        Assert.All(children.Prepend(parent), s => Assert.Equal(SequenceStatus.FinishedLength, s.Status));
        Assert.Equal([0, 1, 2], children.Prepend(parent).Select(s => h.Results[s.SequenceId][^1].ChoiceIndex));
        Assert.Equal(10, h.Scheduler.NumPromptTokens);
        Assert.Equal(16, h.Kv.NumFreeBlocks);
    }

    [Fact]
    public void A_request_waits_until_slots_for_all_its_choices_are_free()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxSequences: 3);
        var single = h.Add(prompt: [1, 2, 3], maxTokens: 4);
        h.Step();
        var triple = h.Add(prompt: [5, 6, 7], maxTokens: 2, n: 3);

        h.Step();
        Assert.Equal(SequenceStatus.Waiting, triple.Status);
        h.RunToIdle();
        Assert.Equal(SequenceStatus.FinishedLength, triple.Status);
        Assert.All(triple.PendingForks, _ => Assert.Fail("forks should have started"));
    }

    [Fact]
    public void Aborting_before_the_fork_frees_every_reservation()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxSequences: 4, maxBatchTokens: 4);
        var parent = h.Add(Enumerable.Range(1, 10).ToArray(), maxTokens: 5, n: 3);
        var children = parent.PendingForks.ToList();
        h.Step();                                                         // first prefill chunk only
        Assert.Equal(16 - 3 - 2, h.Kv.NumFreeBlocks);                  // the prompt's 3 blocks plus each fork's own partial block

        h.Abort(parent.SequenceId);

        Assert.All(children.Prepend(parent), s => Assert.Equal(SequenceStatus.FinishedAborted, s.Status));
        Assert.Equal(3, h.Results.Where(r => children.Prepend(parent).Any(s => s.SequenceId == r.Key)).Count(r => r.Value.Count == 1));
        Assert.Equal(16, h.Kv.NumFreeBlocks);
        Assert.False(h.Scheduler.HasWork);
        h.CheckInvariants();
    }

    [Fact]
    public void Preempting_a_request_before_its_fork_releases_and_later_restores_the_forks()
    {
        // Six blocks: the hog's growth needs the blocks the slowly prefilling n = 2 request reserved.
        var h = new SchedulerHarness(numBlocks: 6, blockSize: 4, maxSequences: 4, maxBatchTokens: 2);
        var hog = h.Add(Enumerable.Range(1, 3).ToArray(), maxTokens: 20);
        h.Step();
        var parent = h.Add(Enumerable.Range(40, 10).ToArray(), maxTokens: 3, n: 2);
        var child = parent.PendingForks.Single();
        bool preemptedBeforeFork = false;
        while (h.Scheduler.HasWork)
        {
            var output = h.Step();
            preemptedBeforeFork |= output.Preempted.Contains(parent.SequenceId) && child.NumComputedTokens == 0;
            h.CheckInvariants();
        }

        Assert.True(preemptedBeforeFork);
        Assert.Equal(SequenceStatus.FinishedLength, child.Status);
        Assert.Equal(3, h.Output(child.SequenceId).Length);
        Assert.Equal(SequenceStatus.FinishedLength, parent.Status);
        Assert.Equal(3, h.Output(parent.SequenceId).Length);
        Assert.Equal(SequenceStatus.FinishedLength, hog.Status);
        Assert.Equal(6, h.Kv.NumFreeBlocks);
    }
}
