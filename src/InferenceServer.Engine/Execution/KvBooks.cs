namespace InferenceServer.Engine.Execution;

/// <summary>
/// What the engine's books say llama.cpp's memory holds, for <see cref="IModelRunner.Reconcile"/>: positions
/// 0 … n − 1 of each stream with computed tokens (a running sequence's, or a free stream's retained cells in the
/// per-sequence layout), the cells of each cached block (its first position), and the
/// sequences whose sampler state may live.
/// </summary>
/// <param name="NumComputedByStream">Cells per stream in use or retaining; a stream not listed holds nothing.</param>
/// <param name="CachedBlockStarts">Cached block id → first position of its cells.</param>
/// <param name="LiveSequenceIds">Sequences not finished.</param>
public sealed record KvBooks(
    IReadOnlyDictionary<int, int> NumComputedByStream,
    IReadOnlyDictionary<int, int> CachedBlockStarts,
    IReadOnlySet<long> LiveSequenceIds);
