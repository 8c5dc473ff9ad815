namespace InferenceServer.Engine.Execution;

/// <summary>
/// How big the KV cache is. Bytes per token = 2 (K and V) × layers × KV heads × head size × bytes per element;
/// grouped-query attention shrinks it by the GQA ratio (query heads / KV heads) against plain multi-head attention.
/// </summary>
/// <param name="NumLayers">Transformer layers.</param>
/// <param name="NumHeads">Query heads.</param>
/// <param name="NumKvHeads">Key/value heads.</param>
/// <param name="HeadSize">Elements per head.</param>
/// <param name="Type">Element type.</param>
/// <param name="NumTokens">Token cells in the cache (NumBlocks × BlockSize).</param>
public sealed record KvCacheShape(int NumLayers, int NumHeads, int NumKvHeads, int HeadSize, KvCacheType Type, int NumTokens)
{
    /// <summary>KV bytes per token.</summary>
    public double BytesPerToken => 2.0 * NumLayers * NumKvHeads * HeadSize * Type.BytesPerElement();

    /// <summary>KV bytes of the whole cache.</summary>
    public long TotalBytes => (long)Math.Round(BytesPerToken * NumTokens);

    /// <summary>Query heads per KV head.</summary>
    public double GqaRatio => NumKvHeads == 0 ? 1 : (double)NumHeads / NumKvHeads;
}
