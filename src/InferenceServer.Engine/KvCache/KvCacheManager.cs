using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.KvCache;

/// <summary>
/// Gives sequences the blocks their tokens need and takes them back. The scheduler asks; it never touches blocks.
/// A sequence of n tokens holds ⌈n / BlockSize⌉ blocks.
/// </summary>
public sealed class KvCacheManager
{
    private readonly BlockPool _pool;

    /// <summary>Creates a manager over <paramref name="numBlocks"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    public KvCacheManager(int numBlocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        _pool = new BlockPool(numBlocks);
        BlockSize = blockSize;
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }
    /// <summary>Blocks in the pool.</summary>
    public int NumBlocks => _pool.NumBlocks;
    /// <summary>Blocks not held by any sequence.</summary>
    public int NumFreeBlocks => _pool.NumFreeBlocks;
    /// <summary>Token capacity of the pool (NumBlocks × BlockSize).</summary>
    public int NumTokenSlots => NumBlocks * BlockSize;
    /// <summary>The pool, for inspection.</summary>
    public BlockPool Pool => _pool;

    /// <summary>Blocks needed to hold <paramref name="numTokens"/> tokens.</summary>
    public int BlocksFor(int numTokens) => (numTokens + BlockSize - 1) / BlockSize;

    /// <summary>New blocks <paramref name="sequence"/> needs to compute <paramref name="numNewTokens"/> more tokens.</summary>
    public int NumBlocksNeeded(Sequence sequence, int numNewTokens) =>
        Math.Max(0, BlocksFor(sequence.NumComputedTokens + numNewTokens) - sequence.BlockTable.Count);

    /// <summary>True when the free pool covers <paramref name="numNewTokens"/> more tokens of <paramref name="sequence"/>.</summary>
    public bool CanAllocate(Sequence sequence, int numNewTokens) =>
        NumBlocksNeeded(sequence, numNewTokens) <= _pool.NumFreeBlocks;

    /// <summary>
    /// Grows the block table of <paramref name="sequence"/> to cover <paramref name="numNewTokens"/> more tokens.
    /// Returns false, changing nothing, when too few blocks are free.
    /// </summary>
    public bool Allocate(Sequence sequence, int numNewTokens)
    {
        int needed = NumBlocksNeeded(sequence, numNewTokens);
        if (needed > _pool.NumFreeBlocks)
            return false;
        if (needed > 0)
            sequence.MutableBlockTable.AddRange(_pool.Take(needed));
        return true;
    }

    /// <summary>Returns every block of <paramref name="sequence"/> to the pool and empties its block table.</summary>
    public void Free(Sequence sequence)
    {
        var table = sequence.MutableBlockTable;
        // Free in reverse so the tail blocks are handed out again first.
        for (int i = table.Count - 1; i >= 0; i--)
            _pool.Release([table[i]]);
        table.Clear();
    }
}
