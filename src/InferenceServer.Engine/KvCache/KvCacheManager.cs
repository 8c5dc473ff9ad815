using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.KvCache;

/// <summary>
/// Gives sequences the blocks their tokens need, takes them back, and runs the prefix cache. The scheduler asks;
/// it never touches blocks. A sequence of n tokens holds ⌈n / BlockSize⌉ blocks.
/// </summary>
/// <remarks>
/// Prefix cache: every fully computed block gets a chained hash (<see cref="BlockHasher"/>) and stays findable
/// after its sequence ends, until the free pool runs dry and it is evicted — least recently freed first, and a
/// sequence's tail before its head. A new sequence reuses the cached blocks its tokens start with (reference
/// count + 1, no recompute), except that at least its last token is always computed so it has logits to sample.
/// The model runner keeps a cached block's cells alive apart from any sequence (see <see cref="KvEvents"/>), with
/// room for at most <see cref="MaxCachedPerPosition"/> cached blocks at the same position in their sequences.
/// In the per-sequence layout there is no block cache; instead a free stream retains its last sequence's cells
/// (see <see cref="Scheduling.Scheduler"/>). Those cells hold no blocks, because there blocks are only the admission
/// budget over equal streams and a free stream's cells take nothing from anyone; a sequence reusing them allocates
/// blocks for all its tokens, reused ones included, so held blocks still cover every live sequence's tokens.
/// </remarks>
public sealed class KvCacheManager
{
    private readonly BlockPool _pool;
    private readonly Dictionary<ulong, int> _cache = [];
    private readonly Dictionary<int, int> _numCachedAt = [];
    private readonly List<KvEvent> _events = [];

    /// <summary>Creates a manager over <paramref name="numBlocks"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    /// <param name="numBlocks">Blocks in the pool.</param>
    /// <param name="blockSize">Tokens per block.</param>
    /// <param name="maxCachedPerPosition">Cached blocks allowed at one position index; 0 disables the prefix cache.</param>
    /// <param name="maxIdleCachedBlocks">Cached blocks kept while no sequence holds them; -1 (default) keeps up to a quarter of the pool.</param>
    /// <param name="minIdleUnusedBlocks">
    /// Idle cached blocks that never served a second sequence kept whatever the load; -1 (default) is 1/64 of the pool.
    /// </param>
    public KvCacheManager(int numBlocks, int blockSize, int maxCachedPerPosition = 0, int maxIdleCachedBlocks = -1,
        int minIdleUnusedBlocks = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        _pool = new BlockPool(numBlocks);
        BlockSize = blockSize;
        MaxCachedPerPosition = maxCachedPerPosition;
        MaxIdleCachedBlocks = maxIdleCachedBlocks >= 0 ? maxIdleCachedBlocks : numBlocks / 4;
        MinIdleUnusedBlocks = minIdleUnusedBlocks >= 0 ? minIdleUnusedBlocks : numBlocks / 64;
    }

    /// <summary>
    /// Cached blocks kept while no sequence holds them. In llama.cpp's unified KV cache every cell in use costs
    /// attention work for every token of every step (masked, but computed; llama.cpp attends up to the highest cell in
    /// use), so idle cached cells are not free: the bound, and cutting never-reused blocks at admission
    /// (<see cref="MinIdleUnusedBlocks"/>), bring decode throughput close to that with prefix caching off (measured:
    /// docs/benchmarks.md, "Measurements behind the defaults").
    /// </summary>
    public int MaxIdleCachedBlocks { get; }

    /// <summary>
    /// Floor of the budget for idle cached blocks that have never served a second sequence (<see cref="Block.Reused"/>).
    /// Each time a sequence is admitted, after it has taken its own hits, such blocks beyond
    /// max(<see cref="MinIdleUnusedBlocks"/>, blocks held ÷ <see cref="UnusedIdleDivisor"/>) are evicted, least recently
    /// freed first. The next request of a conversation or a repeated prompt still finds its prefix (it claims it before
    /// the trim), while under a stream of unrelated prompts the cells that would only be attended over, never reused,
    /// stay within an eighth of the live ones. A segmented cache in the spirit of 2Q (Johnson and Shasha, VLDB 1994):
    /// a block earns its long stay by a second use.
    /// </summary>
    public int MinIdleUnusedBlocks { get; }

    /// <summary>Held blocks per idle never-reused cached block allowed under load (see <see cref="MinIdleUnusedBlocks"/>).</summary>
    public const int UnusedIdleDivisor = 8;

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }
    /// <summary>Blocks in the pool.</summary>
    public int NumBlocks => _pool.NumBlocks;
    /// <summary>Blocks held by no sequence (cached ones included: they are evicted on demand).</summary>
    public int NumFreeBlocks => _pool.NumFreeBlocks;
    /// <summary>Blocks in the prefix cache (held or not).</summary>
    public int NumCachedBlocks => _cache.Count;
    /// <summary>Cached blocks that no sequence holds (free, reusable until evicted).</summary>
    public int NumCachedIdleBlocks => _cache.Values.Count(id => _pool[id].RefCount == 0);
    /// <summary>Cached blocks allowed at one position index; 0 when prefix caching is off.</summary>
    public int MaxCachedPerPosition { get; }
    /// <summary>True when prefix caching is on.</summary>
    public bool PrefixCaching => MaxCachedPerPosition > 0;
    /// <summary>Cached blocks evicted since start.</summary>
    public long NumEvictions { get; private set; }
    /// <summary>The pool, for inspection.</summary>
    internal BlockPool Pool => _pool;

    /// <summary>Blocks needed to hold <paramref name="numTokens"/> tokens.</summary>
    public int BlocksFor(int numTokens) => (numTokens + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Blocks a request of <paramref name="numPromptTokens"/> with <paramref name="n"/> choices needs free to be admitted
    /// when nothing is cached: its prompt's blocks plus, per extra choice, its own copy of a partial last block (see <see cref="Fork"/>).
    /// </summary>
    public int BlocksForAdmission(int numPromptTokens, int n) =>
        BlocksFor(numPromptTokens) + (n - 1) * (numPromptTokens % BlockSize == 0 ? 0 : 1);

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
        for (int i = 0; i < needed; i++)
            sequence.MutableBlockTable.Add(TakeFreeBlock().BlockId);
        return true;
    }

    /// <summary>
    /// Admits <paramref name="sequence"/> (holding no blocks): reuses its cached prefix and allocates blocks for the
    /// rest of its tokens, and for its pending forks (see <see cref="Fork"/>). Returns the reused blocks, or null,
    /// changing nothing, when the blocks do not fit. <paramref name="numStreamTokens"/> leading tokens are already in the
    /// sequence's stream (per-sequence layout): they count as cached, hold blocks like computed ones, and no cached
    /// block is looked up then.
    /// </summary>
    public IReadOnlyList<BlockHit>? AllocateForAdmission(Sequence sequence, int numStreamTokens = 0)
    {
        IReadOnlyList<int> hits = numStreamTokens > 0 ? [] : FindCachedPrefix(sequence);
        int hitsInFreeQueue = hits.Count(id => _pool[id].RefCount == 0);
        int rest = BlocksForAdmission(sequence.NumTokens, 1 + sequence.PendingForks.Count) - hits.Count;
        if (rest > _pool.NumFreeBlocks - hitsInFreeQueue)
            return null;
        var reused = new BlockHit[hits.Count];
        for (int i = 0; i < hits.Count; i++)
        {
            _pool[hits[i]].Reused = true;
            _pool.Acquire(hits[i]);
            sequence.MutableBlockTable.Add(hits[i]);
            reused[i] = new BlockHit(hits[i], i * BlockSize);
        }
        sequence.SetCachedTokens(Math.Max(hits.Count * BlockSize, numStreamTokens));
        bool ok = Allocate(sequence, sequence.NumUncomputedTokens);
        System.Diagnostics.Debug.Assert(ok);
        foreach (var child in sequence.PendingForks)
            Fork(sequence, child);
        TrimUnusedIdleCache();
        return reused;
    }

    /// <summary>
    /// Gives <paramref name="child"/> (same tokens, holding no blocks) the blocks of <paramref name="parent"/>: full
    /// blocks are shared (reference count + 1); a partial last block is not shared but replaced by a new block of the
    /// child's own, since each child appends different tokens to it.
    /// </summary>
    /// <exception cref="InvalidOperationException">No block is free for the partial block.</exception>
    public void Fork(Sequence parent, Sequence child)
    {
        int full = parent.NumTokens / BlockSize;
        for (int i = 0; i < full; i++)
        {
            _pool.Acquire(parent.BlockTable[i]);
            child.MutableBlockTable.Add(parent.BlockTable[i]);
        }
        if (parent.NumTokens % BlockSize != 0)
            child.MutableBlockTable.Add(TakeFreeBlock().BlockId);
    }

    /// <summary>Cached blocks <paramref name="sequence"/>'s tokens start with, leaving at least one token to compute.</summary>
    public IReadOnlyList<int> FindCachedPrefix(Sequence sequence)
    {
        var hits = new List<int>();
        if (!PrefixCaching)
            return hits;
        int maxBlocks = (sequence.NumTokens - 1) / BlockSize;
        for (int i = 0; i < maxBlocks && _cache.TryGetValue(sequence.GetBlockHash(i, BlockSize), out int id); i++)
            hits.Add(id);
        return hits;
    }

    /// <summary>Puts every fully computed, not yet cached prompt block of <paramref name="sequence"/> into the prefix cache.</summary>
    /// <remarks>Only prompt blocks: a generated block is rarely asked for again, and each cached block costs attention work.</remarks>
    public void CacheComputedBlocks(Sequence sequence)
    {
        if (!PrefixCaching)
            return;
        int full = Math.Min(sequence.NumComputedTokens, sequence.NumPromptTokens) / BlockSize;
        for (int i = sequence.NumCachedBlockChecks; i < full; i++)
        {
            var block = _pool[sequence.BlockTable[i]];
            ulong hash = sequence.GetBlockHash(i, BlockSize);
            // A block with the same prefix may be cached already (computed twice at once): keep that one, now reused.
            if (_cache.TryGetValue(hash, out int existing) && existing != block.BlockId)
                _pool[existing].Reused = true;
            else if (!block.IsCached && MakeRoomAt(i))
            {
                block.Hash = hash;
                block.ChainIndex = i;
                _cache.Add(hash, block.BlockId);
                _numCachedAt[i] = _numCachedAt.GetValueOrDefault(i) + 1;
                _events.Add(new CachedBlock(block.BlockId,
                    sequence.KvStream ?? throw new InvalidOperationException($"Sequence {sequence.SequenceId} computed blocks without a KV stream."), i * BlockSize));
            }
        }
        sequence.NumCachedBlockChecks = Math.Max(sequence.NumCachedBlockChecks, full);
    }

    /// <summary>
    /// Logs that <paramref name="sequence"/> gives back its stream (its cells go but the first
    /// <paramref name="numRetainedTokens"/>; when <paramref name="finished"/>, its sampler too), then frees its blocks.
    /// A sequence holding no stream (preempted) only logs the sampler's end.
    /// </summary>
    public void Release(Sequence sequence, bool finished, int numRetainedTokens = 0)
    {
        _events.Add(new ReleasedSequence(sequence.SequenceId, sequence.KvStream, finished, numRetainedTokens));
        Free(sequence);
    }

    /// <summary>Logs that free stream <paramref name="stream"/> keeps only its first <paramref name="numKept"/> retained cells.</summary>
    public void TrimStream(int stream, int numKept) => _events.Add(new TrimmedStream(stream, numKept));

    /// <summary>Logs that free stream <paramref name="stream"/> gets the first <paramref name="numKept"/> cells of <paramref name="sourceStream"/>'s stream.</summary>
    public void CopyStream(int sourceStream, int stream, int numKept) => _events.Add(new CopiedStream(sourceStream, stream, numKept));

    /// <summary>Returns every block of <paramref name="sequence"/> to the pool and empties its block table.</summary>
    public void Free(Sequence sequence)
    {
        var table = sequence.MutableBlockTable;
        // Free in reverse so a sequence's tail is evicted before its head.
        for (int i = table.Count - 1; i >= 0; i--)
            _pool.Release(table[i]);
        table.Clear();
        sequence.NumCachedBlockChecks = 0;
        TrimIdleCache();
    }

    // Evicts the least recently freed idle cached blocks beyond MaxIdleCachedBlocks.
    private void TrimIdleCache()
    {
        if (PrefixCaching)
            EvictIdleBeyond(MaxIdleCachedBlocks, _ => true);
    }

    // Evicts the least recently freed idle cached blocks that never served a second sequence beyond
    // max(MinIdleUnusedBlocks, held blocks / UnusedIdleDivisor).
    private void TrimUnusedIdleCache()
    {
        if (PrefixCaching)
            EvictIdleBeyond(Math.Max(MinIdleUnusedBlocks, (NumBlocks - NumFreeBlocks) / UnusedIdleDivisor), block => !block.Reused);
    }

    // Evicts idle cached blocks matching `which`, least recently freed first, until at most `budget` of them remain.
    private void EvictIdleBeyond(int budget, Func<Block, bool> which)
    {
        int count = _cache.Values.Count(id => _pool[id].RefCount == 0 && which(_pool[id]));
        foreach (int id in _pool.FreeBlockIds.ToList())
        {
            if (count <= budget)
                return;
            if (_pool[id] is { IsCached: true } block && which(block))
            {
                Evict(block);
                count--;
            }
        }
    }

    /// <summary>Evicts every cached block no sequence holds (events follow as usual); returns how many.</summary>
    public int ResetPrefixCache()
    {
        var unheld = _cache.Values.Where(id => _pool[id].RefCount == 0).ToList();
        foreach (int id in unheld)
            Evict(_pool[id]);
        return unheld.Count;
    }

    /// <summary>
    /// Takes blocks out of the prefix cache whose cells the runner turned out not to hold (found by reconciliation),
    /// without telling the runner: there is nothing to evict. Sequences holding them keep them as ordinary blocks.
    /// </summary>
    public void ForgetCachedBlocks(IEnumerable<int> blockIds)
    {
        foreach (int id in blockIds)
            if (_pool[id].IsCached)
                Uncache(_pool[id]);
    }

    /// <summary>Cached block id → first position of its cells, for reconciliation with the runner.</summary>
    public IReadOnlyDictionary<int, int> CachedBlockStarts() =>
        _cache.Values.ToDictionary(id => id, id => _pool[id].ChainIndex * BlockSize);

    /// <summary>True when KV changes wait for the runner (see <see cref="TakeEvents"/>).</summary>
    public bool HasEvents => _events.Count > 0;

    /// <summary>The KV changes on their way to the runner with the next plan, left in place (tests compare memory with the books through them).</summary>
    internal KvEvents PendingEvents => new([.. _events]);

    /// <summary>Takes the KV changes since the last call, in the order they happened.</summary>
    public KvEvents TakeEvents()
    {
        if (_events.Count == 0)
            return KvEvents.None;
        var events = new KvEvents(_events.ToArray());
        _events.Clear();
        return events;
    }

    private Block TakeFreeBlock()
    {
        var block = _pool.TakeFree();
        if (block.IsCached)
            Evict(block);
        return block;
    }

    // Keeps the number of cached blocks at one position within what the runner can hold, evicting the least
    // recently freed unheld one there if needed. False when every cached block at that position is in use.
    private bool MakeRoomAt(int chainIndex)
    {
        if (_numCachedAt.GetValueOrDefault(chainIndex) < MaxCachedPerPosition)
            return true;
        foreach (int id in _pool.FreeBlockIds)
        {
            var candidate = _pool[id];
            if (candidate.IsCached && candidate.ChainIndex == chainIndex)
            {
                Evict(candidate);
                return true;
            }
        }
        return false;
    }

    private void Evict(Block block)
    {
        _events.Add(new EvictedBlock(block.BlockId));
        Uncache(block);
        NumEvictions++;
    }

    private void Uncache(Block block)
    {
        _cache.Remove(block.Hash!.Value);
        _numCachedAt[block.ChainIndex]--;
        block.Hash = null;
        block.ChainIndex = -1;
        block.Reused = false;
    }
}
