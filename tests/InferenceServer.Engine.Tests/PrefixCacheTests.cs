using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class PrefixCacheTests
{
    // Admitted to a KV stream, as the scheduler does before anything is computed (the books name it in CachedBlock events).
    private static Sequence Seq(long id, params int[] prompt)
    {
        var seq = new Sequence(id, prompt, new SamplingParams(), DateTimeOffset.UtcNow);
        seq.Admit((int)(id % 4), DateTimeOffset.UtcNow);
        return seq;
    }

    private static Sequence Computed(KvCacheManager kv, long id, int[] prompt)
    {
        var seq = Seq(id, prompt);
        Assert.NotNull(kv.AllocateForAdmission(seq));
        seq.AddComputedTokens(seq.NumUncomputedTokens);
        kv.CacheComputedBlocks(seq);
        return seq;
    }

    private static readonly int[] Ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Fact]
    public void Full_blocks_are_cached_when_computed_and_reused_after_their_sequence_ends()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 8);
        var a = Computed(kv, 1, Ten);
        Assert.Equal([0, 1, 2], a.BlockTable);
        Assert.Equal(2, kv.NumCachedBlocks);           // the partial third block is not cached
        Assert.Equal([new CachedBlock(0, 1, 0), new CachedBlock(1, 1, 4)], kv.TakeEvents().Cached);   // from a's KV stream
        kv.Free(a);

        var b = Seq(2, [1, 2, 3, 4, 5, 6, 7, 8, 99, 100, 101]);
        var hits = kv.AllocateForAdmission(b);

        Assert.Equal([new BlockHit(0, 0), new BlockHit(1, 4)], hits);
        Assert.Equal(8, b.NumCachedTokens);
        Assert.Equal(8, b.NumComputedTokens);
        Assert.Equal([0, 1, 3], b.BlockTable);        // a's freed tail went to the back of the queue; block 3 was next
        Assert.Equal(1, kv.Pool[0].RefCount);
        Assert.Empty(kv.TakeEvents().Evicted);
    }

    [Fact]
    public void Different_tokens_or_a_different_prefix_miss()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 8);
        kv.Free(Computed(kv, 1, Ten));

        // Same second block, different first block: chained hashes differ, so nothing is reused.
        Assert.Empty(kv.FindCachedPrefix(Seq(2, [9, 9, 9, 9, 5, 6, 7, 8, 1])));
        Assert.Single(kv.FindCachedPrefix(Seq(3, [1, 2, 3, 4, 0, 0, 0, 0, 1])));
    }

    [Fact]
    public void At_least_the_last_prompt_token_is_computed_even_when_every_block_is_cached()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 8);
        kv.Free(Computed(kv, 1, [1, 2, 3, 4, 5, 6, 7, 8]));

        var again = Seq(2, [1, 2, 3, 4, 5, 6, 7, 8]);
        kv.AllocateForAdmission(again);

        Assert.Equal(4, again.NumCachedTokens);
        Assert.Equal(4, again.NumUncomputedTokens);
    }

    [Fact]
    public void Cached_free_blocks_are_evicted_only_when_the_pool_runs_dry_tail_first()
    {
        var kv = new KvCacheManager(numBlocks: 3, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 3, minIdleUnusedBlocks: 3);
        kv.Free(Computed(kv, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9]));   // blocks 0,1 cached, 2 empty
        kv.TakeEvents();
        Assert.Equal([2, 1, 0], kv.Pool.FreeBlockIds);

        var small = Seq(2, [50, 51]);
        kv.AllocateForAdmission(small);
        Assert.Equal([2], small.BlockTable);                      // the empty block goes first
        Assert.Equal(2, kv.NumCachedBlocks);

        var other = Seq(3, [60, 61, 62, 63, 64]);
        kv.AllocateForAdmission(other);
        Assert.Equal([1, 0], other.BlockTable);                    // then the tail of the cached chain
        Assert.Equal([1, 0], kv.TakeEvents().Evicted);
        Assert.Equal(0, kv.NumCachedBlocks);
        Assert.Equal(2, kv.NumEvictions);
    }

    [Fact]
    public void Idle_cached_blocks_beyond_the_budget_are_evicted_tail_first_when_freed()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 1);
        var a = Computed(kv, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        Assert.Equal(2, kv.NumCachedBlocks);                           // held: no budget applies
        kv.TakeEvents();

        kv.Free(a);

        Assert.Equal([1], kv.TakeEvents().Evicted);                    // the tail goes, the head stays reusable
        Assert.Single(kv.FindCachedPrefix(Seq(2, [1, 2, 3, 4, 5, 6, 7, 8, 9])));
    }

    [Fact]
    public void Under_load_idle_blocks_no_one_reused_are_evicted_at_admission_while_reused_ones_stay()
    {
        var kv = new KvCacheManager(numBlocks: 64, blockSize: 4, maxCachedPerPosition: 8, maxIdleCachedBlocks: 64, minIdleUnusedBlocks: 1);
        int[] system = [7, 7, 7, 7, 8, 8, 8, 8];
        var a = Computed(kv, 1, [.. system, 1, 2, 3, 4, 5]);
        var b = Computed(kv, 2, [.. system, 9, 9, 9, 9, 5]);              // hits the two system blocks: now reused
        Assert.Equal(8, b.NumCachedTokens);
        kv.Free(a);
        kv.Free(b);
        var unrelated = Enumerable.Range(0, 3).Select(i => Computed(kv, 10 + i, [.. Enumerable.Range(100 * (i + 1), 21)])).ToList();
        unrelated.ForEach(kv.Free);
        kv.TakeEvents();
        // Idle: the 2 reused system blocks, and 16 never-reused ones (one of a's and b's two survived the
        // admissions above, whose budget was max(1, held / 8) = 1 or 2, plus 3 × 5 from the unrelated prompts).
        Assert.Equal(18, kv.NumCachedIdleBlocks);

        var big = Computed(kv, 20, [.. Enumerable.Range(900, 93)]);     // holds 24 blocks: budget max(1, 24 / 8) = 3

        Assert.Equal(13, kv.TakeEvents().Evicted.Count);
        Assert.Equal(2 + 3, kv.NumCachedIdleBlocks);
        var systemHits = kv.FindCachedPrefix(Seq(30, [.. system, 0]));
        Assert.Equal(2, systemHits.Count);
        Assert.All(systemHits, id => Assert.True(kv.Pool[id].Reused));
        kv.Free(big);
    }

    [Fact]
    public void A_repeated_prompt_claims_its_blocks_before_the_trim_even_with_no_floor()
    {
        var kv = new KvCacheManager(numBlocks: 64, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 64, minIdleUnusedBlocks: 0);
        int[] prompt = [.. Enumerable.Range(1, 17)];
        kv.Free(Computed(kv, 1, prompt));

        var again = Computed(kv, 2, prompt);

        Assert.Equal(16, again.NumCachedTokens);
        Assert.Empty(kv.TakeEvents().Evicted);
        Assert.All(again.BlockTable.Take(4), id => Assert.True(kv.Pool[id].Reused));
    }

    [Fact]
    public void The_same_prefix_computed_by_two_sequences_at_once_counts_as_reused()
    {
        var kv = new KvCacheManager(numBlocks: 16, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 16, minIdleUnusedBlocks: 0);
        var a = Seq(1, [1, 2, 3, 4, 5]);
        var b = Seq(2, [1, 2, 3, 4, 6]);
        kv.AllocateForAdmission(a);
        kv.AllocateForAdmission(b);                                       // admitted together: no hit yet
        a.AddComputedTokens(5);
        b.AddComputedTokens(5);
        kv.CacheComputedBlocks(a);
        Assert.False(kv.Pool[a.BlockTable[0]].Reused);
        kv.CacheComputedBlocks(b);

        Assert.True(kv.Pool[a.BlockTable[0]].Reused);
        Assert.False(kv.Pool[b.BlockTable[0]].IsCached);
    }

    [Fact]
    public void Only_prompt_blocks_are_cached()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 2, maxIdleCachedBlocks: 8);
        var seq = Seq(1, [1, 2, 3, 4, 5, 6]);
        kv.AllocateForAdmission(seq);
        seq.AddComputedTokens(6);
        foreach (int t in new[] { 7, 8, 9, 10 })
        {
            seq.AppendToken(t, DateTimeOffset.UtcNow);
            kv.Allocate(seq, 1);
            seq.AddComputedTokens(1);
        }
        kv.CacheComputedBlocks(seq);

        Assert.Equal(1, kv.NumCachedBlocks);                           // block 1 (tokens 5–8) is half output: not cached
    }

    [Fact]
    public void Cached_blocks_per_position_stay_within_what_the_runner_can_hold()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4, maxCachedPerPosition: 1, maxIdleCachedBlocks: 8);
        var a = Computed(kv, 1, [1, 1, 1, 1, 1]);
        var b = Computed(kv, 2, [2, 2, 2, 2, 2]);                 // a still holds its block: b's is not cached
        Assert.Equal(1, kv.NumCachedBlocks);
        kv.Free(a);
        kv.Free(b);

        var c = Computed(kv, 3, [3, 3, 3, 3, 3]);                 // a's unheld block makes room
        var events = kv.TakeEvents();
        Assert.Equal([0], events.Evicted);            // a's first block
        Assert.Equal(1, kv.NumCachedBlocks);
        Assert.Single(kv.FindCachedPrefix(Seq(4, [3, 3, 3, 3, 3])));
        Assert.Empty(kv.FindCachedPrefix(Seq(5, [1, 1, 1, 1, 1])));
        kv.Free(c);
    }

    [Fact]
    public void Served_from_the_cache_a_request_gives_the_same_tokens_and_reports_cached_prompt_tokens()
    {
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, cacheHolders: 4);
        int[] prompt = Enumerable.Range(20, 11).ToArray();
        var first = h.Add(prompt, maxTokens: 6);
        h.RunToIdle();
        var second = h.Add(prompt, maxTokens: 6);
        h.RunToIdle();

        Assert.Equal(h.Output(first.SequenceId), h.Output(second.SequenceId));
        Assert.Equal(0, first.NumCachedTokens);
        Assert.Equal(8, second.NumCachedTokens);
        Assert.Equal(8, h.Results[second.SequenceId][^1].NumCachedTokens);
        Assert.Equal(8, h.Scheduler.NumCachedPromptTokens);
        Assert.Equal(2, h.Runner.NumHits);
        h.CheckInvariants();
    }

    [Fact]
    public void Blocks_cached_and_trimmed_in_the_step_their_sequence_finishes_reach_the_runner_in_order()
    {
        // A 50-token prompt (two prefill steps of the 32-token budget) has 12 full blocks; with max_tokens 1 it
        // finishes in its last prefill step, so its blocks enter the cache and the idle bound of 2 trims 10 of them
        // before the runner hears of either. The runner must end up holding exactly the 2 the books keep.
        var h = new SchedulerHarness(numBlocks: 16, blockSize: 4, maxBatchTokens: 32, maxModelLength: 64, cacheHolders: 2,
            maxIdleCachedBlocks: 2);
        var first = h.Add(promptLength: 50, maxTokens: 1);
        Assert.Equal(2, h.RunToIdle());
        h.CheckInvariants();

        Assert.Equal(1, first.NumOutputTokens);
        Assert.Equal(2, h.Kv.NumCachedIdleBlocks);
        Assert.Equal([0, 1], h.Runner.CachedCells.Keys.Order());   // the head of the prompt stays, its tail went first
        var again = h.Add(promptLength: 50, maxTokens: 1);
        h.RunToIdle();
        h.CheckInvariants();
        Assert.Equal(8, again.NumCachedTokens);
    }
}
