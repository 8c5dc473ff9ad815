using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Runs engine steps on one llama.cpp context whose KV cache holds every sequence; the runner maps each of the engine's
/// KV streams to a llama.cpp sequence id (<see cref="SeqIdOf"/>) and keeps its own ids for prefix-cache holders. Each
/// step is one <c>llama_decode</c> over a batch of all scheduled tokens, with logits requested only where a token is
/// sampled (one call per sequence in deterministic mode); each sequence samples from its own logits row with its own chain.
/// Used only from the engine thread.
/// </summary>
/// <remarks>
/// Prefix-cache cells outlive their sequence through cache holders, llama.cpp sequence ids MaxSequences and up that are never decoded:
/// when a block enters the cache its cells are also tagged with a cache holder (<c>llama_memory_seq_cp</c> shares
/// cells, it copies nothing), so dropping the sequence later leaves them in place. A cache holder keeps at most one block
/// per position index, so copying positions [start, start + BlockSize) of a cache holder into a new sequence yields
/// exactly that block. Eviction removes the block's positions from its cache holder.
/// In per-sequence streams a released stream may keep its cells (<see cref="ReleasedSequence.NumRetainedTokens"/>) and
/// the next sequence there keeps their common prefix (<see cref="TrimmedStream"/>), or starts from a whole-stream copy of
/// a running stream (<see cref="CopiedStream"/>): a stream is only ever trimmed at its end and copied whole, so its
/// cells stay at indices 0 … n − 1 in position order, as a fresh computation places them.
/// </remarks>
public sealed class LlamaModelRunner : IModelRunner
{
    private readonly SafeLLamaContextHandle _context;
    private readonly LLamaBatch _batch = new();
    private readonly Dictionary<long, (SafeLLamaSamplerChainHandle Chain, ChainScores? Scores)> _samplers = [];
    // Grammar state per sequence, beside its chain and with the same lifetime (kept across preemption: recompute
    // replays tokens the grammar has already accepted, and the next sample continues from there).
    private readonly Dictionary<long, GrammarSampler> _grammars = [];
    private readonly Dictionary<int, (int CacheHolder, int Start)> _cachedCells = [];
    private readonly HashSet<int>[] _cacheHolderIndices;
    // The current step's split of its execution time, returned with its output (the engine keeps the one profile).
    private TimeSpan _forwardTime, _sampleTime;
    private readonly int _firstCacheHolder;
    private readonly int _blockSize;
    private readonly bool _perSequenceStreams;
    private readonly bool _decodeAlone;

    /// <summary>
    /// Wraps a context created for <paramref name="info"/> with sequence ids 0 … <paramref name="maxSequences"/> − 1
    /// for running sequences and <c>info.NumCacheHolders</c> more for the prefix cache; the runner owns the context.
    /// With <paramref name="decodeAlone"/> each scheduled sequence gets its own <c>llama_decode</c>, so its rows never
    /// share a matrix multiplication with another sequence's (see <see cref="Engine.EngineOptions.Deterministic"/>).
    /// </summary>
    public LlamaModelRunner(SafeLLamaContextHandle context, ModelInfo info, int maxSequences, int blockSize, bool perSequenceStreams = false,
        bool decodeAlone = false)
    {
        _perSequenceStreams = perSequenceStreams;
        _decodeAlone = decodeAlone;
        _context = context;
        Info = info;
        _firstCacheHolder = maxSequences;
        _blockSize = blockSize;
        _cacheHolderIndices = Enumerable.Range(0, info.NumCacheHolders).Select(_ => new HashSet<int>()).ToArray();
    }

    /// <inheritdoc />
    public ModelInfo Info { get; }

    /// <summary>Live sampler chains (one per sequence that has sampled and not finished).</summary>
    public int NumSamplers => _samplers.Count;

    /// <inheritdoc />
    public RunnerOutput Execute(SchedulerOutput output)
    {
        Apply(output.Events);
        if (output.Scheduled.Count == 0)
            return new RunnerOutput([]);
        _forwardTime = _sampleTime = TimeSpan.Zero;

        foreach (var s in output.Scheduled)
            foreach (var hit in s.Hits)
            {
                // A retried step finds its hits copied already.
                if ((int)_context.MemorySequenceMaxPosition(SeqIdOf(s.KvStream)) >= hit.Start + _blockSize - 1)
                    continue;
                if (!_cachedCells.TryGetValue(hit.BlockId, out var cells) || cells.Start != hit.Start)
                    throw new ModelRunnerException($"Prefix-cache block {hit.BlockId} has no cells at position {hit.Start}.");
                _context.MemorySequenceCopy((LLamaSeqId)cells.CacheHolder, SeqIdOf(s.KvStream), (LLamaPos)hit.Start, (LLamaPos)(hit.Start + _blockSize));
            }

        var sampled = new List<SampledToken>();
        if (_decodeAlone)
            foreach (var s in output.Scheduled)
                DecodeAndSample([s], output.Scheduled, sampled);
        else
            DecodeAndSample(output.Scheduled, output.Scheduled, sampled);
        return new RunnerOutput(sampled, _forwardTime, _sampleTime);
    }

    // One llama_decode over the tokens of `group`, then each of its sequences that samples draws from its logits row.
    // On failure every sequence of the step loses its new cells (the engine retries or fails them).
    private void DecodeAndSample(IReadOnlyList<ScheduledSequence> group, IReadOnlyList<ScheduledSequence> step, List<SampledToken> sampled)
    {
        _batch.Clear();
        var sampleRows = new List<(ScheduledSequence Seq, int Row)>();
        foreach (var s in BatchOrder(group, _perSequenceStreams))
        {
            var seqId = SeqIdOf(s.KvStream);
            int last = s.TokenIds.Count - 1;
            for (int k = 0; k <= last; k++)
            {
                bool wantLogits = s.Sample && k == last;
                int row = _batch.Add((LLamaToken)s.TokenIds[k], (LLamaPos)(s.StartPosition + k), seqId, wantLogits);
                if (wantLogits)
                    sampleRows.Add((s, row));
            }
        }

        long decodeStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = _context.Decode(_batch);
        _forwardTime += System.Diagnostics.Stopwatch.GetElapsedTime(decodeStart);
        if (result != DecodeResult.Ok)
        {
            foreach (var s in step)
                _context.MemorySequenceRemove(SeqIdOf(s.KvStream), (LLamaPos)s.StartPosition, (LLamaPos)(-1));
            throw new ModelRunnerException($"llama_decode returned {result} for {_batch.TokenCount} tokens.");
        }

        long sampleStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var draws = new List<(long SequenceId, Engine.Sequences.SamplingParams Sampling, int Row, int Parent)>();
        for (int i = 0; i < sampleRows.Count; i++)
        {
            var (s, row) = sampleRows[i];
            draws.Add((s.SequenceId, s.Sampling, row, i));
            int end = s.StartPosition + s.TokenIds.Count;
            foreach (var fork in s.Forks)
            {
                // The fork gets every cell of the prompt without recompute (shared cells in the unified pool; a
                // whole-stream copy at the next decode in per-sequence streams, the parent's stream holding exactly the
                // prompt) and draws its first token from the same logits row with its own sampler.
                if (_perSequenceStreams)
                    _context.MemorySequenceCopy(SeqIdOf(s.KvStream), SeqIdOf(fork.KvStream), (LLamaPos)(-1), (LLamaPos)(-1));
                else
                    _context.MemorySequenceCopy(SeqIdOf(s.KvStream), SeqIdOf(fork.KvStream), (LLamaPos)0, (LLamaPos)end);
                draws.Add((fork.SequenceId, fork.Sampling, row, i));
            }
        }
        sampled.AddRange(Draw(sampleRows, draws));
        _sampleTime += System.Diagnostics.Stopwatch.GetElapsedTime(sampleStart);
    }

    /// <summary>
    /// The order sequences enter a decode call. With a KV stream per sequence, llama.cpp splits a call into micro-batches
    /// of consecutive sequence ids taken in batch order (<c>split_equal</c> with <c>sequential</c>), each a full pass over
    /// the weights: streams 3, 0, 1, 2 make two passes where 0, 1, 2, 3 make one. So those go in stream order.
    /// </summary>
    internal static IEnumerable<ScheduledSequence> BatchOrder(IReadOnlyList<ScheduledSequence> group, bool perSequenceStreams) =>
        perSequenceStreams ? group.OrderBy(s => SeqIdOf(s.KvStream).Value) : group;

    // Each sequence draws from its own row with its own chain and grammar state, so the draws are independent: with
    // several, they run on the thread pool while llama.cpp's threads rest (a grammar's mask over a large vocabulary is
    // the costly part). Samplers are made first, and llama.cpp's output buffer settled, on this thread. Results keep
    // the order of the draws.
    private SampledToken[] Draw(List<(ScheduledSequence Seq, int Row)> rows,
        List<(long SequenceId, Engine.Sequences.SamplingParams Sampling, int Row, int Parent)> draws)
    {
        if (rows.Count == 0)
            return [];
        _context.GetLogitsIth(rows[0].Row);
        foreach (var d in draws)
            Prepare(d.SequenceId, d.Sampling);
        var logprobs = new LogprobRow?[rows.Count];
        var tokens = new int[draws.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = draws.Count >= 2 ? Environment.ProcessorCount : 1 };
        // Raw logits, read before any sampler runs; forks draw from the same row and share the summary.
        Parallel.For(0, rows.Count, parallel, i =>
            logprobs[i] = rows[i].Seq.Sampling.Logprobs is { } numTop ? LogprobRow.Compute(_context.GetLogitsIth(rows[i].Row), numTop) : null);
        Parallel.For(0, draws.Count, parallel, j => tokens[j] = SampleToken(draws[j].SequenceId, draws[j].Sampling, draws[j].Row));
        return [.. draws.Select((d, j) => Sampled(d.SequenceId, tokens[j], logprobs[d.Parent]))];
    }

    private static SampledToken Sampled(long sequenceId, int tokenId, LogprobRow? logprobs) =>
        new(sequenceId, tokenId, logprobs?.For(tokenId));

    // Applies a plan's KV events in order (see IModelRunner.Execute).
    private void Apply(KvEvents events)
    {
        foreach (var e in events.Log)
        {
            switch (e)
            {
                case EvictedBlock evicted:
                    ForgetCachedBlock(evicted.BlockId);
                    break;
                case CachedBlock cached:
                    int cacheHolder = FreeCacheHolderAt(cached.Start / _blockSize);
                    _context.MemorySequenceCopy(SeqIdOf(cached.KvStream), (LLamaSeqId)cacheHolder, (LLamaPos)cached.Start, (LLamaPos)(cached.Start + _blockSize));
                    _cacheHolderIndices[cacheHolder - _firstCacheHolder].Add(cached.Start / _blockSize);
                    _cachedCells[cached.BlockId] = (cacheHolder, cached.Start);
                    break;
                case ReleasedSequence released:
                    if (released.KvStream is { } stream)
                        _context.MemorySequenceRemove(SeqIdOf(stream), (LLamaPos)released.NumRetainedTokens, (LLamaPos)(-1));
                    // A preempted sequence keeps its chain: its RNG and penalty history go on after recompute.
                    if (released.Finished && _samplers.Remove(released.SequenceId, out var chain))
                        chain.Chain.Dispose();
                    if (released.Finished && _grammars.Remove(released.SequenceId, out var grammar))
                        grammar.Dispose();
                    break;
                case TrimmedStream trimmed:
                    _context.MemorySequenceRemove(SeqIdOf(trimmed.KvStream), (LLamaPos)trimmed.NumKept, (LLamaPos)(-1));
                    break;
                case CopiedStream copied:
                    // Across streams llama.cpp copies only whole streams (p0 = p1 = -1): the cells' metadata at once
                    // (the destination's old cells go), the K/V buffers at the start of the next decode, before it
                    // writes anything; then the cells past the reused prefix go.
                    _context.MemorySequenceCopy(SeqIdOf(copied.SourceStream), SeqIdOf(copied.KvStream), (LLamaPos)(-1), (LLamaPos)(-1));
                    _context.MemorySequenceRemove(SeqIdOf(copied.KvStream), (LLamaPos)copied.NumKept, (LLamaPos)(-1));
                    NumStreamCopies++;
                    break;
            }
        }
    }

    private void ForgetCachedBlock(int blockId)
    {
        if (!_cachedCells.Remove(blockId, out var cells))
            throw new InvalidOperationException($"Evicted block {blockId} has no cells in any cache holder.");
        _context.MemorySequenceRemove((LLamaSeqId)cells.CacheHolder, (LLamaPos)cells.Start, (LLamaPos)(cells.Start + _blockSize));
        _cacheHolderIndices[cells.CacheHolder - _firstCacheHolder].Remove(cells.Start / _blockSize);
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Reconcile(KvBooks books)
    {
        for (int stream = 0; stream < _firstCacheHolder; stream++)
            _context.MemorySequenceRemove(SeqIdOf(stream), (LLamaPos)books.NumComputedByStream.GetValueOrDefault(stream), (LLamaPos)(-1));
        foreach (var (blockId, cells) in _cachedCells.ToList())
            if (books.CachedBlockStarts.GetValueOrDefault(blockId, -1) != cells.Start)
                ForgetCachedBlock(blockId);
        // Each cache holder keeps exactly its blocks' position ranges; any cell between or beyond them goes.
        for (int h = 0; h < _cacheHolderIndices.Length; h++)
        {
            var cacheHolder = (LLamaSeqId)(_firstCacheHolder + h);
            int end = 0;
            foreach (int index in _cacheHolderIndices[h].Order())
            {
                if (index * _blockSize > end)
                    _context.MemorySequenceRemove(cacheHolder, (LLamaPos)end, (LLamaPos)(index * _blockSize));
                end = (index + 1) * _blockSize;
            }
            _context.MemorySequenceRemove(cacheHolder, (LLamaPos)end, (LLamaPos)(-1));
        }
        foreach (long id in _samplers.Keys.Where(id => !books.LiveSequenceIds.Contains(id)).ToList())
            if (_samplers.Remove(id, out var chain))
                chain.Chain.Dispose();
        foreach (long id in _grammars.Keys.Where(id => !books.LiveSequenceIds.Contains(id)).ToList())
            if (_grammars.Remove(id, out var grammar))
                grammar.Dispose();
        return [.. books.CachedBlockStarts.Keys.Where(id => !_cachedCells.ContainsKey(id))];
    }

    private int FreeCacheHolderAt(int chainIndex)
    {
        for (int h = 0; h < _cacheHolderIndices.Length; h++)
            if (!_cacheHolderIndices[h].Contains(chainIndex))
                return _firstCacheHolder + h;
        throw new InvalidOperationException($"No cache holder is free at block index {chainIndex}.");
    }

    /// <summary>Running streams copied into free streams since start (<see cref="CopiedStream"/>).</summary>
    public long NumStreamCopies { get; private set; }

    /// <summary>Where each cached block's cells live: cache holder (a llama.cpp sequence id) and first position.</summary>
    public IReadOnlyDictionary<int, (int CacheHolder, int Start)> CachedCells => _cachedCells;

    /// <summary>
    /// Bytes llama.cpp would write to save sequence id <paramref name="seqId"/>'s state: a fixed header plus a fixed
    /// size per cell tagged with that id, so tests use it to count the cells an id holds exactly.
    /// </summary>
    internal long GetSequenceStateBytes(int seqId) => (long)_context.GetStateSize((LLamaSeqId)seqId);

    /// <summary>
    /// llama.cpp's saved state of sequence id <paramref name="seqId"/>: its cells' positions and K/V rows, byte for byte
    /// (tests compare a sequence's KV computed alone and under load with it).
    /// </summary>
    internal unsafe byte[] GetSequenceState(int seqId)
    {
        var bytes = new byte[GetSequenceStateBytes(seqId)];
        fixed (byte* p = bytes)
        {
            nuint written = _context.GetState(p, (nuint)bytes.Length, (LLamaSeqId)seqId);
            return bytes.AsSpan(0, (int)written).ToArray();
        }
    }

    /// <summary>True when each stream has its own stream of cells (<c>kv_unified = false</c>).</summary>
    internal bool PerSequenceStreams => _perSequenceStreams;

    /// <summary>First llama.cpp sequence id used as a cache holder.</summary>
    internal int FirstCacheHolder => _firstCacheHolder;

    /// <inheritdoc />
    /// <summary>Positions llama.cpp holds for KV stream <paramref name="stream"/> as (min, max); (-1, -1) when none (llama.cpp's convention).</summary>
    internal (int Min, int Max) GetStreamPositions(int stream) =>
        ((int)_context.MemorySequenceMinPosition(SeqIdOf(stream)), (int)_context.MemorySequenceMaxPosition(SeqIdOf(stream)));

    /// <summary>Positions llama.cpp holds for its sequence id <paramref name="seqId"/> (a cache holder, say) as (min, max); (-1, -1) when none.</summary>
    internal (int Min, int Max) GetSeqIdPositions(int seqId) =>
        ((int)_context.MemorySequenceMinPosition((LLamaSeqId)seqId), (int)_context.MemorySequenceMaxPosition((LLamaSeqId)seqId));

    /// <summary>
    /// The one map from the engine's KV streams to llama.cpp sequence ids: stream i is id i (0 … MaxSequences − 1); the
    /// ids above them are this runner's prefix-cache holders, which the engine never sees.
    /// </summary>
    internal static LLamaSeqId SeqIdOf(int kvStream) => (LLamaSeqId)kvStream;

    // Creates the sequence's chain and grammar state where missing (not thread-safe: before the draws).
    private void Prepare(long sequenceId, Engine.Sequences.SamplingParams sampling)
    {
        SamplerFor(sequenceId, sampling);
        if (sampling.Grammar is not null && !_grammars.ContainsKey(sequenceId))
            _grammars.Add(sequenceId, GrammarSampler.Create(_context.ModelHandle, sampling.Grammar, sampling.GrammarTriggers, sampling.GrammarStartAfter));
    }

    // Reads only what Prepare made, so draws of different sequences may run at once.
    private int SampleToken(long sequenceId, Engine.Sequences.SamplingParams sampling, int row)
    {
        var (chain, scores) = _samplers[sequenceId];
        if (sampling.Grammar is null)
            return (int)chain.Sample(_context, row);
        var grammar = _grammars[sequenceId];
        var before = grammar.WalkCounts;
        int token = (int)grammar.Sample(_context, row, chain, WalkGrammars ? scores : null);
        Interlocked.Add(ref _walked, grammar.WalkCounts.Walked - before.Walked);
        Interlocked.Add(ref _masked, grammar.WalkCounts.Masked - before.Masked);
        return token;
    }

    private long _walked, _masked;

    /// <summary>
    /// Refused first draws of constrained sequences since start: picked by walking down the chain's scores, and
    /// walked without a fit so the grammar masked the vocabulary (see <see cref="ChainScores"/>).
    /// </summary>
    public (long Walked, long Masked) GrammarWalks => (Interlocked.Read(ref _walked), Interlocked.Read(ref _masked));

    /// <summary>Whether refused draws walk the chain's scores before masking; off only to compare the two (tests, bench).</summary>
    public bool WalkGrammars { get; set; } = true;

    /// <summary>Live grammar states (one per constrained sequence that has sampled and not finished).</summary>
    public int NumGrammars => _grammars.Count;

    private SafeLLamaSamplerChainHandle SamplerFor(long sequenceId, Engine.Sequences.SamplingParams sampling)
    {
        if (!_samplers.TryGetValue(sequenceId, out var entry))
        {
            entry.Chain = SamplerChainBuilder.Create(sampling, Info.VocabSize, Info.MaxModelLength, out entry.Scores);
            _samplers.Add(sequenceId, entry);
        }
        return entry.Chain;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (chain, _) in _samplers.Values)
            chain.Dispose();
        _samplers.Clear();
        foreach (var grammar in _grammars.Values)
            grammar.Dispose();
        _grammars.Clear();
        _context.Dispose();
    }
}
