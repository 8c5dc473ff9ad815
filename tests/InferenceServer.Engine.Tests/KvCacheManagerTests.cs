using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

public class KvCacheManagerTests
{
    private static Sequence Seq(long id, int promptLength) =>
        new(id, Enumerable.Range(1, promptLength).ToArray(), new SamplingParams(), DateTimeOffset.UtcNow);

    [Fact]
    public void Allocate_takes_ceil_tokens_over_block_size_in_pool_order()
    {
        var kv = new KvCacheManager(numBlocks: 8, blockSize: 4);
        var a = Seq(1, 6);
        var b = Seq(2, 5);

        Assert.True(kv.Allocate(a, 6));
        Assert.True(kv.Allocate(b, 5));

        Assert.Equal([0, 1], a.BlockTable);
        Assert.Equal([2, 3], b.BlockTable);
        Assert.Equal(4, kv.NumFreeBlocks);
        Assert.All(new[] { 0, 1, 2, 3 }, id => Assert.Equal(1, kv.Pool[id].RefCount));
    }

    [Fact]
    public void Allocate_refuses_without_changing_anything_when_too_few_blocks_are_free()
    {
        var kv = new KvCacheManager(numBlocks: 2, blockSize: 4);
        var a = Seq(1, 9);

        Assert.False(kv.CanAllocate(a, 9));
        Assert.False(kv.Allocate(a, 9));

        Assert.Empty(a.BlockTable);
        Assert.Equal(2, kv.NumFreeBlocks);
    }

    [Fact]
    public void Free_returns_blocks_tail_first_to_the_back_of_the_queue()
    {
        var kv = new KvCacheManager(numBlocks: 4, blockSize: 4);
        var a = Seq(1, 8);
        kv.Allocate(a, 8);

        kv.Free(a);

        Assert.Empty(a.BlockTable);
        Assert.Equal(4, kv.NumFreeBlocks);
        Assert.Equal([2, 3, 1, 0], kv.Pool.FreeBlockIds);
    }

    [Fact]
    public void Growing_a_table_only_adds_blocks_when_a_block_boundary_is_crossed()
    {
        var kv = new KvCacheManager(numBlocks: 4, blockSize: 4);
        var a = Seq(1, 3);
        kv.Allocate(a, 3);
        a.AddComputedTokens(3);

        Assert.Equal(0, kv.NumBlocksNeeded(a, 1));
        Assert.Equal(1, kv.NumBlocksNeeded(a, 2));
    }

    [Fact]
    public void Free_block_queue_removes_from_the_middle_and_rejects_double_free()
    {
        var q = new FreeBlockQueue(5);
        q.Remove(2);

        Assert.Equal([0, 1, 3, 4], q.Enumerate());
        Assert.Equal(0, q.PopFront());
        Assert.Throws<InvalidOperationException>(() => q.Append(1));
        q.Append(2);
        Assert.Equal([1, 3, 4, 2], q.Enumerate());
    }
}
