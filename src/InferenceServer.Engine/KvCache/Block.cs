namespace InferenceServer.Engine.KvCache;

/// <summary>
/// One KV block: the cells of <c>BlockSize</c> consecutive tokens of a sequence. Paging is logical: the block
/// names a share of the llama.cpp context's cells, while llama.cpp places the cells themselves.
/// </summary>
public sealed class Block
{
    internal Block(int blockId) => BlockId = blockId;

    /// <summary>Index in the pool, 0 ≤ id &lt; NumBlocks.</summary>
    public int BlockId { get; }

    /// <summary>Block tables holding this block; 0 while it is free.</summary>
    public int RefCount { get; internal set; }

    /// <inheritdoc />
    public override string ToString() => $"Block {BlockId} (ref {RefCount})";
}
