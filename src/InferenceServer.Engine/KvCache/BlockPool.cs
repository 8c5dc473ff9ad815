namespace InferenceServer.Engine.KvCache;

/// <summary>The preallocated blocks and the queue of free ones.</summary>
public sealed class BlockPool
{
    private readonly Block[] _blocks;
    private readonly FreeBlockQueue _free;

    /// <summary>Creates <paramref name="numBlocks"/> free blocks.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBlocks"/> is below 1.</exception>
    public BlockPool(int numBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 1);
        _blocks = new Block[numBlocks];
        for (int i = 0; i < numBlocks; i++)
            _blocks[i] = new Block(i);
        _free = new FreeBlockQueue(numBlocks);
    }

    /// <summary>Blocks in the pool.</summary>
    public int NumBlocks => _blocks.Length;
    /// <summary>Blocks with reference count 0.</summary>
    public int NumFreeBlocks => _free.Count;
    /// <summary>The block with id <paramref name="blockId"/>.</summary>
    public Block this[int blockId] => _blocks[blockId];
    /// <summary>Free block ids in allocation order.</summary>
    public IEnumerable<int> FreeBlockIds => _free.Enumerate();

    /// <summary>Takes <paramref name="count"/> free blocks, each with reference count 1.</summary>
    /// <exception cref="InvalidOperationException">Fewer than <paramref name="count"/> blocks are free.</exception>
    public IReadOnlyList<int> Take(int count)
    {
        if (count > _free.Count)
            throw new InvalidOperationException($"Asked for {count} blocks, {_free.Count} free.");
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = _free.PopFront();
            _blocks[ids[i]].RefCount = 1;
        }
        return ids;
    }

    /// <summary>Drops one reference from each block; a block whose count reaches 0 returns to the free queue.</summary>
    /// <remarks>Callers pass blocks in reverse table order so a sequence's tail is reused first.</remarks>
    public void Release(IEnumerable<int> blockIds)
    {
        foreach (int id in blockIds)
        {
            var block = _blocks[id];
            if (block.RefCount <= 0)
                throw new InvalidOperationException($"Block {id} released while free.");
            if (--block.RefCount == 0)
                _free.Append(id);
        }
    }

    /// <summary>True when <paramref name="blockId"/> is in the free queue.</summary>
    public bool IsFree(int blockId) => _free.Contains(blockId);
}
