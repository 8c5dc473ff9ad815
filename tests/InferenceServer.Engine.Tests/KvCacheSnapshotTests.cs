using InferenceServer.Engine.KvCache;

namespace InferenceServer.Engine.Tests;

public class KvCacheSnapshotTests
{
    private static readonly int[] Ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    private static readonly int[] SamePrefix = [1, 2, 3, 4, 5, 6, 7, 8, 50, 51];

    private static SchedulerHarness Harness() => new(numBlocks: 8, blockSize: 4, cacheHolders: 2, maxIdleCachedBlocks: 8);

    [Fact]
    public void A_shared_prefix_shows_as_blocks_held_by_both_sequences_and_hit_in_the_prefix_cache()
    {
        var h = Harness();
        var a = h.Add(Ten, maxTokens: 4, ignoreEos: true);
        h.Step();
        var b = h.Add(SamePrefix, maxTokens: 4, ignoreEos: true);
        h.Step();

        var s = KvCacheSnapshot.Capture(h.Scheduler, h.Core.NumSteps);

        Assert.Equal([0, 1, 2], a.BlockTable);
        Assert.Equal([0, 1, 3], b.BlockTable);
        Assert.Equal(new KvBlockInfo(0, KvBlockState.InUse, 2, [a.SequenceId, b.SequenceId], 0, true, true), s.Blocks[0], Equal);
        Assert.Equal(new KvBlockInfo(1, KvBlockState.InUse, 2, [a.SequenceId, b.SequenceId], 1, true, true), s.Blocks[1], Equal);
        Assert.Equal(new KvBlockInfo(2, KvBlockState.InUse, 1, [a.SequenceId], 2, false, false), s.Blocks[2], Equal);
        Assert.Equal(new KvBlockInfo(3, KvBlockState.InUse, 1, [b.SequenceId], 2, false, false), s.Blocks[3], Equal);
        Assert.All(s.Blocks.Skip(4), block => Assert.Equal((KvBlockState.Free, 0, null), (block.State, block.RefCount, block.ChainDepth)));
        Assert.Equal((8, 4, 4, 4, 4, 0, 2), (s.NumBlocks, s.BlockSize, s.NumFreeBlocks, s.NumEmptyBlocks, s.NumInUseBlocks, s.NumCachedIdleBlocks, s.NumSharedBlocks));
        Assert.Equal((2, 0, 20L, 8L, 0.4, 2L), (s.NumRunning, s.NumWaiting, s.NumPromptTokens, s.NumCachedPromptTokens, s.PrefixCacheHitRate, s.NumSteps));
        Assert.Equal([a.SequenceId, b.SequenceId], s.Sequences.Select(q => q.SequenceId));
        Assert.Equal([0, 1, 3], s.Sequences[1].BlockTable);
        Assert.Equal((10, 8, 1), (s.Sequences[1].NumPromptTokens, s.Sequences[1].NumCachedTokens, s.Sequences[1].NumOutputTokens));
    }

    [Fact]
    public void Finished_sequences_leave_their_cached_prompt_blocks_idle_and_the_rest_free()
    {
        var h = Harness();
        h.Add(Ten, maxTokens: 3, ignoreEos: true);
        h.RunToIdle();

        var s = KvCacheSnapshot.Capture(h.Scheduler, h.Core.NumSteps);

        Assert.Empty(s.Sequences);
        Assert.Equal([KvBlockState.CachedIdle, KvBlockState.CachedIdle], s.Blocks.Take(2).Select(b => b.State));
        Assert.Equal([0, 1], s.Blocks.Take(2).Select(b => b.ChainDepth));
        Assert.All(s.Blocks, b => Assert.Empty(b.SequenceIds));
        Assert.All(s.Blocks.Skip(2), b => Assert.Equal(KvBlockState.Free, b.State));
        Assert.Equal((8, 6, 0, 2, 0), (s.NumFreeBlocks, s.NumEmptyBlocks, s.NumInUseBlocks, s.NumCachedIdleBlocks, s.NumRunning));
    }

    [Fact]
    public void A_preempted_sequence_holds_nothing_and_is_counted_as_waiting()
    {
        // Two sequences that each grow to all 4 blocks of the pool: one is preempted to let the other go on.
        var h = new SchedulerHarness(numBlocks: 4, blockSize: 4, maxModelLength: 16);
        h.Add(8, maxTokens: 8, ignoreEos: true);
        h.Add(8, maxTokens: 8, firstToken: 40, ignoreEos: true);
        while (h.Scheduler.NumPreemptions == 0)
            h.Step();

        var s = KvCacheSnapshot.Capture(h.Scheduler, h.Core.NumSteps);

        Assert.Equal((1, 1, 1L), (s.NumRunning, s.NumWaiting, s.NumPreemptions));
        var running = Assert.Single(s.Sequences);
        Assert.All(s.Blocks.Where(b => b.State == KvBlockState.InUse), b => Assert.Equal([running.SequenceId], b.SequenceIds));
        Assert.Equal(running.BlockTable.Order(), s.Blocks.Where(b => b.State == KvBlockState.InUse).Select(b => b.BlockId));
    }

    // Records hold lists, which compare by reference: compare them by content.
    private static readonly IEqualityComparer<KvBlockInfo> Equal = EqualityComparer<KvBlockInfo>.Create(
        (x, y) => x is not null && y is not null && x with { SequenceIds = [] } == y with { SequenceIds = [] } && x.SequenceIds.SequenceEqual(y.SequenceIds));
}
