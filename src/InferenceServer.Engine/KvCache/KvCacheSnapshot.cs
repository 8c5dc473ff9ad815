using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine.KvCache;

/// <summary>
/// Every block of the pool and every sequence holding blocks, with the cache counters, at one moment between steps.
/// Captured on the engine thread (see <see cref="EngineClient.GetKvSnapshotAsync"/>), so the block tables, reference
/// counts and counters agree with each other.
/// </summary>
/// <param name="NumBlocks">Blocks in the pool.</param>
/// <param name="BlockSize">Tokens per block.</param>
/// <param name="NumFreeBlocks">Blocks held by no sequence: states free and cached_idle (as <see cref="EngineStats.NumFreeBlocks"/>).</param>
/// <param name="NumEmptyBlocks">Blocks in state free: held by no sequence and holding nothing reusable (as <see cref="EngineStats.NumEmptyBlocks"/>).</param>
/// <param name="NumInUseBlocks">Blocks in state in_use.</param>
/// <param name="NumCachedIdleBlocks">Blocks in state cached_idle.</param>
/// <param name="NumSharedBlocks">Blocks held by more than one sequence.</param>
/// <param name="NumRunning">Sequences running.</param>
/// <param name="NumWaiting">Sequences waiting for admission, preempted ones included (they hold no blocks).</param>
/// <param name="PrefixCacheHitRate">Cached prompt tokens / prompt tokens since start (0 before any request).</param>
/// <param name="NumPromptTokens">Prompt tokens since start.</param>
/// <param name="NumCachedPromptTokens">Prompt tokens served from the prefix cache since start.</param>
/// <param name="NumEvictions">Cached blocks evicted since start.</param>
/// <param name="NumPreemptions">Preemptions since start.</param>
/// <param name="NumSteps">Engine steps since start.</param>
/// <param name="Blocks">Every block, by id.</param>
/// <param name="Sequences">Every sequence holding blocks, by id.</param>
public sealed record KvCacheSnapshot(
    int NumBlocks, int BlockSize, int NumFreeBlocks, int NumEmptyBlocks, int NumInUseBlocks, int NumCachedIdleBlocks, int NumSharedBlocks,
    int NumRunning, int NumWaiting, double PrefixCacheHitRate, long NumPromptTokens, long NumCachedPromptTokens,
    long NumEvictions, long NumPreemptions, long NumSteps, IReadOnlyList<KvBlockInfo> Blocks, IReadOnlyList<KvSequenceInfo> Sequences)
{
    /// <summary>Reads the books of <paramref name="scheduler"/>. Call only on the thread that owns it.</summary>
    public static KvCacheSnapshot Capture(Scheduler scheduler, long numSteps)
    {
        var kv = scheduler.KvCache;
        var holding = scheduler.Holding.OrderBy(s => s.SequenceId).ToList();
        var sequenceIds = new List<long>?[kv.NumBlocks];
        var depths = new int?[kv.NumBlocks];
        foreach (var sequence in holding)
            for (int i = 0; i < sequence.BlockTable.Count; i++)
            {
                int id = sequence.BlockTable[i];
                (sequenceIds[id] ??= []).Add(sequence.SequenceId);
                depths[id] ??= i;
            }
        var blocks = new KvBlockInfo[kv.NumBlocks];
        for (int id = 0; id < blocks.Length; id++)
        {
            var block = kv.Pool[id];
            var state = block.RefCount > 0 ? KvBlockState.InUse : block.IsCached ? KvBlockState.CachedIdle : KvBlockState.Free;
            int? depth = block.IsCached ? block.ChainIndex : depths[id];
            blocks[id] = new KvBlockInfo(id, state, block.RefCount, sequenceIds[id] ?? [], depth, block.IsCached, block.Reused);
        }
        var sequences = holding.Select(s => new KvSequenceInfo(s.SequenceId, s.ChoiceIndex, s.NumPromptTokens, s.NumOutputTokens,
            s.NumComputedTokens, s.NumCachedTokens, s.NumPreemptions, [.. s.BlockTable])).ToArray();
        int numEmpty = blocks.Count(b => b.State == KvBlockState.Free), numCachedIdle = blocks.Count(b => b.State == KvBlockState.CachedIdle);
        return new KvCacheSnapshot(kv.NumBlocks, kv.BlockSize, numEmpty + numCachedIdle, numEmpty,
            blocks.Count(b => b.State == KvBlockState.InUse), numCachedIdle, blocks.Count(b => b.RefCount > 1),
            scheduler.NumRunning, scheduler.NumWaiting,
            scheduler.NumPromptTokens == 0 ? 0 : (double)scheduler.NumCachedPromptTokens / scheduler.NumPromptTokens,
            scheduler.NumPromptTokens, scheduler.NumCachedPromptTokens, kv.NumEvictions, scheduler.NumPreemptions, numSteps,
            blocks, sequences);
    }
}
