using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class SchedulerTests
{
    [Fact]
    public void Decodes_one_token_per_step_and_finishes_on_max_tokens_with_all_blocks_free()
    {
        var h = new SchedulerHarness();
        var seq = h.Add(promptLength: 5, maxTokens: 3);

        var first = h.Step();
        Assert.Equal(5, first.NumScheduledTokens);
        Assert.True(first.Scheduled[0].Sample);
        Assert.Equal(1, h.Step().NumScheduledTokens);
        h.Step();

        var results = h.Results[seq.SequenceId];
        Assert.Equal(3, results.Count);
        Assert.Equal([null, null, FinishReason.Length], results.Select(r => r.FinishReason));
        Assert.Equal(SequenceStatus.FinishedLength, seq.Status);
        Assert.Equal(8, h.Kv.NumFreeBlocks);
        Assert.True(h.Step().IsEmpty);                                     // the idle engine's next plan carries the frees
        Assert.Equal((-1, -1), h.Runner.GetStreamPositions(0));
        Assert.Empty(h.Runner.LiveSamplers);
    }

    [Fact]
    public void End_of_generation_token_stops_with_reason_stop_unless_ignore_eos()
    {
        // The fake model always answers 42, which this model treats as end of generation.
        var h = new SchedulerHarness(eog: [42], nextToken: (_, _) => 42);
        var stops = h.Add(promptLength: 3, maxTokens: 10);
        var ignores = h.Add(promptLength: 3, maxTokens: 4, ignoreEos: true);

        h.RunToIdle();

        Assert.Equal(SequenceStatus.FinishedStopped, stops.Status);
        Assert.Equal([42], h.Output(stops.SequenceId));
        Assert.True(h.Results[stops.SequenceId].Single().IsEndOfGeneration);
        Assert.Equal(SequenceStatus.FinishedLength, ignores.Status);
        Assert.Equal([42, 42, 42, 42], h.Output(ignores.SequenceId));
    }

    [Fact]
    public void Context_limit_ends_a_sequence_with_reason_length()
    {
        var h = new SchedulerHarness(maxModelLength: 8);
        var seq = h.Add(promptLength: 6, maxTokens: 100);

        h.RunToIdle();

        Assert.Equal(8, seq.NumTokens);
        Assert.Equal(FinishReason.Length, h.Results[seq.SequenceId][^1].FinishReason);
    }

    [Fact]
    public void Long_prompt_is_prefilled_in_chunks_within_the_token_budget_and_samples_only_at_the_end()
    {
        var h = new SchedulerHarness(numBlocks: 8, blockSize: 4, maxBatchTokens: 4);
        var seq = h.Add(promptLength: 10, maxTokens: 2);

        var chunks = Enumerable.Range(0, 3).Select(_ => h.Step().Scheduled.Single()).ToList();

        Assert.Equal([4, 4, 2], chunks.Select(c => c.TokenIds.Count));
        Assert.Equal([0, 4, 8], chunks.Select(c => c.StartPosition));
        Assert.Equal([false, false, true], chunks.Select(c => c.Sample));
        Assert.Single(h.Results[seq.SequenceId]);
        // Blocks for the whole prompt were taken at admission.
        Assert.Equal(3, seq.BlockTable.Count);
    }

    [Fact]
    public void Running_decodes_come_first_and_a_new_prefill_gets_the_rest_of_the_budget()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxBatchTokens: 6);
        var a = h.Add(promptLength: 3, maxTokens: 10);
        h.Step();
        var b = h.Add(promptLength: 12, maxTokens: 2);

        var step = h.Step();

        Assert.Equal([a.SequenceId, b.SequenceId], step.Scheduled.Select(s => s.SequenceId));
        Assert.Equal([1, 5], step.Scheduled.Select(s => s.TokenIds.Count));
        Assert.Equal(6, step.NumScheduledTokens);
        h.Step();
        Assert.Equal(3, h.Results[a.SequenceId].Count);
    }

    [Fact]
    public void Without_chunking_one_prompt_per_step_goes_in_whole_beside_the_decodes()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxBatchTokens: 4, chunkedPrefill: false);
        var a = h.Add(promptLength: 2, maxTokens: 5);
        h.Step();
        var b = h.Add(promptLength: 10, maxTokens: 1);
        var c = h.Add(promptLength: 6, maxTokens: 1);

        var step = h.Step();

        Assert.Equal([a.SequenceId, b.SequenceId], step.Scheduled.Select(s => s.SequenceId));
        Assert.Equal([1, 10], step.Scheduled.Select(s => s.TokenIds.Count));
        Assert.Equal(11, step.NumScheduledTokens);
        Assert.Equal(SequenceStatus.Waiting, c.Status);     // a second oversized prompt waits for the next step
        h.RunToIdle();
        Assert.Equal(SequenceStatus.FinishedLength, b.Status);
        Assert.Equal(SequenceStatus.FinishedLength, c.Status);
    }

    [Fact]
    public void Waiting_requests_are_admitted_in_order_only_when_their_prompt_blocks_are_free()
    {
        var h = new SchedulerHarness(numBlocks: 4, blockSize: 4);
        var a = h.Add(promptLength: 12, maxTokens: 4);   // 3 blocks now, 4 once it decodes
        var b = h.Add(promptLength: 8, maxTokens: 1);    // needs 2 blocks
        var c = h.Add(promptLength: 1, maxTokens: 1);    // would fit, but must not jump the queue

        var step = h.Step();

        Assert.Equal([a.SequenceId], step.Scheduled.Select(s => s.SequenceId));
        Assert.Equal(SequenceStatus.Waiting, b.Status);
        Assert.Equal(SequenceStatus.Waiting, c.Status);
        h.RunToIdle();
        Assert.True(a.IsFinished && b.IsFinished && c.IsFinished);
        Assert.Equal(0, h.Scheduler.NumPreemptions);
    }

    [Fact]
    public void At_most_max_sequences_run_at_once()
    {
        var h = new SchedulerHarness(numBlocks: 32, maxSequences: 2);
        var seqs = Enumerable.Range(0, 3).Select(_ => h.Add(promptLength: 2, maxTokens: 3)).ToList();

        h.Step();

        Assert.Equal(2, h.Scheduler.NumRunning);
        Assert.Equal(SequenceStatus.Waiting, seqs[2].Status);
        Assert.Equal([0, 1], seqs.Take(2).Select(s => s.KvStream));
        h.RunToIdle();
        Assert.All(seqs, s => Assert.Equal(SequenceStatus.FinishedLength, s.Status));
    }

    [Fact]
    public void Preemption_takes_the_most_recently_admitted_and_recompute_gives_the_same_tokens()
    {
        int[] SoloOutput(int[] prompt)
        {
            var solo = new SchedulerHarness(numBlocks: 64, blockSize: 4);
            var s = solo.Add(prompt, maxTokens: 12);
            solo.RunToIdle();
            return solo.Output(s.SequenceId);
        }

        var h = new SchedulerHarness(numBlocks: 6, blockSize: 4);
        var a = h.Add(promptLength: 4, maxTokens: 12, firstToken: 10);
        var b = h.Add(promptLength: 4, maxTokens: 12, firstToken: 50);
        var preemptedIds = new List<long>();
        while (h.Scheduler.HasWork)
        {
            preemptedIds.AddRange(h.Step().Preempted);
            h.CheckInvariants();
        }

        Assert.NotEmpty(preemptedIds);
        Assert.Equal(b.SequenceId, preemptedIds[0]);
        Assert.True(b.NumPreemptions > 0);
        Assert.Equal(SoloOutput(a.TokenIds.Take(4).ToArray()), h.Output(a.SequenceId));
        Assert.Equal(SoloOutput(b.TokenIds.Take(4).ToArray()), h.Output(b.SequenceId));
        Assert.Equal(12, h.Results[b.SequenceId].Count);
        Assert.Equal(6, h.Kv.NumFreeBlocks);
    }

    [Fact]
    public void Fixed_chunks_are_the_same_alone_under_load_and_through_preemption()
    {
        // (start, length) of every computation of a sequence, as the runner receives them.
        static Dictionary<long, HashSet<(int, int)>> Chunks(SchedulerHarness h)
        {
            var chunks = h.All.Keys.ToDictionary(id => id, _ => new HashSet<(int, int)>());
            while (h.Scheduler.HasWork)
                foreach (var s in h.Step().Scheduled)
                    chunks[s.SequenceId].Add((s.StartPosition, s.TokenIds.Count));
            return chunks;
        }

        var alone = new SchedulerHarness(numBlocks: 64, blockSize: 4, maxBatchTokens: 8, maxModelLength: 128, fixedChunks: true);
        var soloSeq = alone.Add(promptLength: 21, maxTokens: 6, firstToken: 30);
        var solo = Chunks(alone)[soloSeq.SequenceId];
        Assert.Equal([(0, 8), (8, 8), (16, 5), (21, 1), (22, 1), (23, 1), (24, 1), (25, 1)], solo.Order());

        // Others take part of every step's budget, and the pool is small enough that someone is preempted.
        var h = new SchedulerHarness(numBlocks: 14, blockSize: 4, maxBatchTokens: 8, maxModelLength: 128, fixedChunks: true);
        var early = h.Add(promptLength: 5, maxTokens: 20, firstToken: 3);
        h.Step();
        var seq = h.Add(promptLength: 21, maxTokens: 6, firstToken: 30);
        var late = h.Add(promptLength: 11, maxTokens: 20, firstToken: 60);
        var chunks = Chunks(h);

        Assert.True(h.Scheduler.NumPreemptions > 0);
        Assert.Equal(solo.Order(), chunks[seq.SequenceId].Order());
        Assert.Equal(alone.Output(soloSeq.SequenceId), h.Output(seq.SequenceId));
        Assert.Equal(14, h.Kv.NumFreeBlocks);
        Assert.Equal(SequenceStatus.FinishedLength, late.Status);
        Assert.Equal(SequenceStatus.FinishedLength, early.Status);
    }

    [Fact]
    public void Abort_of_waiting_and_running_sequences_frees_blocks_and_llama_memory_at_once()
    {
        var h = new SchedulerHarness(numBlocks: 8, maxSequences: 1);
        var running = h.Add(promptLength: 6, maxTokens: 50);
        var waiting = h.Add(promptLength: 3, maxTokens: 50);
        h.Step();
        Assert.Equal(6, h.Kv.NumFreeBlocks);

        h.Abort(waiting.SequenceId);
        h.Abort(running.SequenceId);

        Assert.Equal(SequenceStatus.FinishedAborted, running.Status);
        Assert.Equal(SequenceStatus.FinishedAborted, waiting.Status);
        Assert.Equal(FinishReason.Abort, h.Results[running.SequenceId][^1].FinishReason);
        Assert.Equal(8, h.Kv.NumFreeBlocks);
        Assert.Equal((-1, -1), h.Runner.GetStreamPositions(0));
        Assert.False(h.Scheduler.HasWork);
        Assert.Empty(h.Scheduler.Abort(running.SequenceId));
    }

    [Fact]
    public void A_failed_step_ends_its_sequences_with_an_error_and_frees_them()
    {
        var h = new SchedulerHarness();
        var seq = h.Add(promptLength: 4, maxTokens: 5);
        h.Runner.FailFor = seq.SequenceId;

        h.Step();

        Assert.Equal(SequenceStatus.FinishedError, seq.Status);
        Assert.Equal(FinishReason.Error, h.Results[seq.SequenceId].Single().FinishReason);
        Assert.Equal(8, h.Kv.NumFreeBlocks);
    }
}
