namespace InferenceServer.Engine.KvCache;

/// <summary>
/// One KV block: the cells of <c>BlockSize</c> consecutive tokens of a sequence. Paging is logical: the block
/// names a share of the llama.cpp context's cells, while llama.cpp places the cells themselves.
/// </summary>
internal sealed class Block
{
    internal Block(int blockId) => BlockId = blockId;

    /// <summary>Index in the pool, 0 ≤ id &lt; NumBlocks.</summary>
    public int BlockId { get; }

    /// <summary>Block tables holding this block; 0 while it is free (cached or empty).</summary>
    public int RefCount { get; internal set; }

    /// <summary>Chained content hash while the block is in the prefix cache; null otherwise.</summary>
    public ulong? Hash { get; internal set; }

    /// <summary>Position of the block in its sequence (token positions ChainIndex × BlockSize …) while cached.</summary>
    public int ChainIndex { get; internal set; } = -1;

    /// <summary>
    /// True once the cached block has served a second sequence (a prefix-cache hit, or the same prefix computed by two
    /// sequences at once); such blocks outlast the ones used only by the sequence that computed them.
    /// </summary>
    public bool Reused { get; internal set; }

    /// <summary>True while the block is in the prefix cache.</summary>
    public bool IsCached => Hash is not null;

    /// <inheritdoc />
    public override string ToString() => $"Block {BlockId} (ref {RefCount}{(IsCached ? $", cached at {ChainIndex}" : "")})";
}
