using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

/// <summary>Per-sequence layout: a free stream keeps its cells and the next sequence with a common prefix reuses them.</summary>
public class SlotReuseTests
{
    private static SchedulerHarness Harness(int numBlocks = 32, int maxSequences = 3, int maxBatchTokens = 32, bool fixedChunks = false) =>
        new(numBlocks: numBlocks, blockSize: 4, maxSequences: maxSequences, maxBatchTokens: maxBatchTokens, maxModelLength: 64,
            fixedChunks: fixedChunks, retainStreams: true);

    private static int[] Tokens(int first, int count) => [.. Enumerable.Range(first, count)];

    // Runs `prompt` alone to the end, checking the books each step; returns the sequence.
    private static Sequence RunAlone(SchedulerHarness h, int[] prompt, int maxTokens) => RunAlone(h, prompt, maxTokens, out _);

    private static Sequence RunAlone(SchedulerHarness h, int[] prompt, int maxTokens, out int stream)
    {
        var seq = h.Add(prompt, maxTokens);
        stream = -1;
        while (h.Scheduler.HasWork)
        {
            h.Step();
            h.CheckInvariants();
            if (stream < 0)
                stream = seq.KvStream ?? -1;
        }
        return seq;
    }

    [Fact]
    public void A_new_sequence_goes_to_the_slot_with_the_longest_common_prefix_and_computes_only_the_rest()
    {
        var h = Harness();
        var a = RunAlone(h, [.. Tokens(10, 12), 50], maxTokens: 3);
        var b = RunAlone(h, [.. Tokens(30, 12), 51], maxTokens: 3);
        Assert.Equal((0, 0), (a.NumCachedTokens, b.NumCachedTokens));
        // Each finished sequence left the tokens it computed (prompt and all but the last sampled token) in its stream.
        Assert.Equal(a.TokenIds.Take(15), h.Scheduler.RetainedStreams[0]);
        Assert.Equal(b.TokenIds.Take(15), h.Scheduler.RetainedStreams[1]);
        Assert.Equal(32, h.Kv.NumFreeBlocks);

        var c = h.Add([.. Tokens(30, 10), 77, 78], maxTokens: 2);
        var plan = h.Step();
        h.CheckInvariants();

        Assert.Equal(1, c.KvStream);
        Assert.Equal(10, c.NumCachedTokens);
        Assert.Equal(10, plan.Scheduled.Single().StartPosition);
        Assert.Equal([77, 78], plan.Scheduled.Single().TokenIds);
        Assert.Equal(new TrimmedStream(1, 10), Assert.Single(plan.Events.Log.OfType<TrimmedStream>()));
        // Reused tokens hold blocks like computed ones.
        Assert.Equal(3, c.BlockTable.Count);
        h.RunToIdle();
        Assert.Equal(10, h.Results[c.SequenceId][^1].NumCachedTokens);
        Assert.Equal(10, h.Scheduler.NumCachedPromptTokens);
        Assert.Equal(c.TokenIds.Take(13), h.Scheduler.RetainedStreams[1]);
    }

    [Fact]
    public void Without_a_common_prefix_the_least_recently_used_slot_is_taken_lowest_first()
    {
        var h = Harness();
        RunAlone(h, Tokens(10, 5), maxTokens: 2, out int first);
        RunAlone(h, Tokens(20, 5), maxTokens: 2, out int second);
        RunAlone(h, Tokens(30, 5), maxTokens: 2, out int third);
        var fourth = RunAlone(h, Tokens(40, 5), maxTokens: 2, out int fourthSlot);

        Assert.Equal([0, 1, 2, 0], [first, second, third, fourthSlot]);
        Assert.Equal(0, fourth.NumCachedTokens);
        Assert.Equal(1, h.Runner.NumTrims);
        Assert.Equal(fourth.TokenIds.Take(6), h.Scheduler.RetainedStreams[0]);
    }

    [Fact]
    public void The_same_prompt_again_reuses_all_but_its_last_token_and_a_conversation_reuses_the_last_answer()
    {
        var h = Harness();
        var prompt = Tokens(10, 9);
        var first = RunAlone(h, prompt, maxTokens: 4);
        var again = RunAlone(h, prompt, maxTokens: 4);
        Assert.Equal(8, again.NumCachedTokens);
        Assert.Equal(h.Output(first.SequenceId), h.Output(again.SequenceId));

        // The next turn: the whole previous exchange plus a new message; the last sampled token was never computed.
        int[] next = [.. again.TokenIds, 60, 61];
        var turn = RunAlone(h, next, maxTokens: 2);
        Assert.Equal(again.NumTokens - 1, turn.NumCachedTokens);
        Assert.Equal(8 + again.NumTokens - 1, h.Scheduler.NumCachedPromptTokens);
    }

    [Fact]
    public void A_preempted_sequence_resumes_from_the_cells_its_slot_kept()
    {
        // 6 blocks of 4 tokens: two sequences growing to 16 tokens each cannot both stay.
        var h = Harness(numBlocks: 6, maxSequences: 2, maxBatchTokens: 16);
        var a = h.Add(Tokens(10, 6), maxTokens: 10);
        var b = h.Add(Tokens(30, 6), maxTokens: 10);
        int resumedAt = -1;
        while (h.Scheduler.HasWork)
        {
            var plan = h.Step();
            h.CheckInvariants();
            if (resumedAt < 0 && b.NumPreemptions > 0 && plan.Scheduled.FirstOrDefault(s => s.SequenceId == b.SequenceId) is { } resumed)
                resumedAt = resumed.StartPosition;
        }

        Assert.True(b.NumPreemptions > 0, "b should have been preempted");
        Assert.True(resumedAt > 6, $"b resumed at {resumedAt}, not past its prompt");
        Assert.Equal(0, b.NumCachedTokens);
        Assert.Equal(0, h.Scheduler.NumCachedPromptTokens);
        var solo = Harness();
        Assert.Equal(h.Output(b.SequenceId), solo.Output(RunAlone(solo, Tokens(30, 6), maxTokens: 10).SequenceId));
    }

    [Fact]
    public void An_aborted_sequence_leaves_its_computed_prompt_and_a_failed_one_leaves_nothing()
    {
        var h = Harness(maxBatchTokens: 8);
        var aborted = h.Add(Tokens(10, 20), maxTokens: 5);
        h.Step();
        h.Step();
        h.Abort(aborted.SequenceId);
        h.CheckInvariants();
        Assert.Equal(Tokens(10, 16), h.Scheduler.RetainedStreams[0]);

        h.Runner.FailFor = h.Add(Tokens(10, 20), maxTokens: 5).SequenceId;
        var failed = h.All[h.Runner.FailFor.Value];
        h.Step();
        h.CheckInvariants();
        Assert.Equal(SequenceStatus.FinishedError, failed.Status);
        Assert.Equal(16, failed.NumCachedTokens);
        Assert.Empty(h.Scheduler.RetainedStreams);
        Assert.Equal(32, h.Kv.NumFreeBlocks);
    }

    [Fact]
    public void A_failed_step_is_reconciled_without_losing_the_retained_cells_of_free_slots()
    {
        var h = Harness(maxSequences: 4);
        RunAlone(h, Tokens(10, 9), maxTokens: 3);
        RunAlone(h, Tokens(30, 9), maxTokens: 3);
        var retained = h.Scheduler.RetainedStreams.ToDictionary(r => r.Key, r => r.Value);
        var seq = h.Add([.. Tokens(30, 6), 70, 71], maxTokens: 4);
        // The failure writes the sequence's tokens, a stray cell in a free stream, and a stray cached block.
        h.Runner.CorruptOnFailure = true;
        h.Runner.NumBatchesToFail = 1;

        h.Step();
        h.CheckInvariants();
        h.RunToIdle();
        h.CheckInvariants();

        Assert.Equal(1, h.Runner.NumInjectedFailures);
        Assert.Equal(6, seq.NumCachedTokens);
        Assert.Equal(SequenceStatus.FinishedLength, seq.Status);
        Assert.Equal(retained[0], h.Scheduler.RetainedStreams[0]);
        Assert.Equal(seq.TokenIds.Take(11), h.Scheduler.RetainedStreams[1]);
    }

    [Fact]
    public void Forks_take_other_slots_emptied_and_the_parent_keeps_its_reuse()
    {
        var h = Harness();
        RunAlone(h, Tokens(10, 9), maxTokens: 2);
        RunAlone(h, Tokens(30, 9), maxTokens: 2);
        RunAlone(h, Tokens(50, 9), maxTokens: 2);

        var parent = h.Add([.. Tokens(30, 9), 80], maxTokens: 3, n: 3);
        var plan = h.Step();
        h.CheckInvariants();

        Assert.Equal(1, parent.KvStream);
        Assert.Equal(9, parent.NumCachedTokens);
        Assert.Equal([new TrimmedStream(1, 9), new TrimmedStream(0, 0), new TrimmedStream(2, 0)], plan.Events.Log.OfType<TrimmedStream>());
        h.RunToIdle();
        h.CheckInvariants();
        var outputs = h.All.Values.Where(s => s.NumPromptTokens == 10).Select(s => h.Output(s.SequenceId)).ToList();
        Assert.Equal(3, outputs.Count);
        Assert.All(outputs, o => Assert.Equal(3, o.Length));
        Assert.Equal(3, h.Scheduler.RetainedStreams.Count);
    }

    [Theory]
    [InlineData(20, 20)]
    [InlineData(10, 0)]
    public void A_sequence_admitted_beside_a_running_one_with_a_longer_prefix_starts_from_a_copy_of_its_stream(int shared, int expected)
    {
        var h = Harness(maxBatchTokens: 8);
        var a = h.Add(Tokens(10, 30), maxTokens: 4);
        for (int i = 0; i < 3; i++)
            h.Step();
        Assert.Equal(24, a.NumComputedTokens);

        var b = h.Add([.. Tokens(10, shared), 90, 91], maxTokens: 3);
        var plan = h.Step();
        h.CheckInvariants();

        // a's stream held 24 computed tokens, `shared` of them b's; free streams held nothing.
        Assert.Equal(expected, b.NumCachedTokens);
        Assert.Equal(expected == 0 ? [] : [new CopiedStream(0, 1, expected)], plan.Events.Log.OfType<CopiedStream>());
        Assert.Equal(expected, plan.Scheduled.Single(s => s.SequenceId == b.SequenceId).StartPosition);
        h.RunToIdle();
        h.CheckInvariants();
        var solo = Harness();
        Assert.Equal(solo.Output(RunAlone(solo, [.. Tokens(10, shared), 90, 91], maxTokens: 3).SequenceId), h.Output(b.SequenceId));
        Assert.Equal(solo.Output(RunAlone(solo, Tokens(10, 30), maxTokens: 4).SequenceId), h.Output(a.SequenceId));
    }

    [Theory]
    [InlineData(new[] { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 }, 16)]
    [InlineData(new[] { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 99 }, 8)]
    [InlineData(new[] { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33 }, 16)]
    public void With_fixed_chunks_only_whole_chunks_both_prompts_computed_alike_are_reused(int[] prompt, int expected)
    {
        // Chunks of 8: the retained prompt of 20 tokens was computed as [0, 8), [8, 16), [16, 20), then one token a step.
        var h = Harness(maxBatchTokens: 8, fixedChunks: true);
        var first = RunAlone(h, Tokens(10, 20), maxTokens: 6);
        Assert.Equal(first.TokenIds.Take(25), h.Scheduler.RetainedStreams[0]);

        var seq = RunAlone(h, prompt, maxTokens: 2);

        Assert.Equal(expected, seq.NumCachedTokens);
    }

    [Fact]
    public void With_fixed_chunks_a_prompt_reaching_into_generated_cells_reuses_only_whole_chunks()
    {
        var h = Harness(maxBatchTokens: 8, fixedChunks: true);
        var first = RunAlone(h, Tokens(10, 20), maxTokens: 6);

        var resumed = RunAlone(h, [.. first.TokenIds.Take(23)], maxTokens: 2);

        // Same 23 tokens but a prompt of 23, not 20: its cold chunks are [0, 8), [8, 16), [16, 23), so only 16 are alike.
        Assert.Equal(16, resumed.NumCachedTokens);
    }
}
