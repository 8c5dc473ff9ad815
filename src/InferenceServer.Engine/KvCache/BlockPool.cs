namespace InferenceServer.Engine.KvCache;

/// <summary>
/// The preallocated blocks and the queue of free ones (reference count 0), in eviction order: a free block that is
/// still in the prefix cache keeps its hash until it is taken for new use.
/// </summary>
internal sealed class BlockPool
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
    /// <summary>Blocks with reference count 0 (cached ones included).</summary>
    public int NumFreeBlocks => _free.Count;
    /// <summary>The block with id <paramref name="blockId"/>.</summary>
    public Block this[int blockId] => _blocks[blockId];
    /// <summary>Free block ids, next to be taken first.</summary>
    public IEnumerable<int> FreeBlockIds => _free.Enumerate();

    /// <summary>Removes the front free block and gives it reference count 1. The caller evicts it if it is cached.</summary>
    /// <exception cref="InvalidOperationException">No block is free.</exception>
    public Block TakeFree()
    {
        var block = _blocks[_free.PopFront()];
        block.RefCount = 1;
        return block;
    }

    /// <summary>Adds a reference to <paramref name="blockId"/>, taking it out of the free queue if it was free.</summary>
    public void Acquire(int blockId)
    {
        var block = _blocks[blockId];
        if (block.RefCount == 0)
            _free.Remove(blockId);
        block.RefCount++;
    }

    /// <summary>Drops one reference; a block whose count reaches 0 goes to the back of the free queue.</summary>
    /// <exception cref="InvalidOperationException">The block is already free.</exception>
    public void Release(int blockId)
    {
        var block = _blocks[blockId];
        if (block.RefCount <= 0)
            throw new InvalidOperationException($"Block {blockId} released while free.");
        if (--block.RefCount == 0)
            _free.Append(blockId);
    }

    /// <summary>True when <paramref name="blockId"/> is in the free queue.</summary>
    public bool IsFree(int blockId) => _free.Contains(blockId);
}
