namespace InferenceServer.Engine.KvCache;

/// <summary>One block of the pool in a <see cref="KvCacheSnapshot"/>.</summary>
/// <param name="BlockId">Index in the pool.</param>
/// <param name="State">Free, in use or cached idle.</param>
/// <param name="RefCount">Block tables holding the block.</param>
/// <param name="SequenceIds">Sequences whose block tables hold it, ascending; more than one for a shared prefix.</param>
/// <param name="ChainDepth">
/// Position of the block in its sequence (its tokens are ChainDepth × BlockSize …): the index in the holding sequences' block
/// tables, or the cached chain index when idle; null for a free block.
/// </param>
/// <param name="Cached">True while the block is in the prefix cache (findable by its chained hash).</param>
/// <param name="PrefixCacheHit">True once the cached block has served a sequence other than the one that computed it.</param>
public sealed record KvBlockInfo(int BlockId, KvBlockState State, int RefCount, IReadOnlyList<long> SequenceIds, int? ChainDepth,
    bool Cached, bool PrefixCacheHit);
