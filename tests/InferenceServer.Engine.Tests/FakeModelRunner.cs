using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Tests.Models;

namespace InferenceServer.Engine.Tests;

/// <summary>
/// A model runner for pure scheduling tests. It keeps, like llama.cpp, the positions each stream holds (with the token
/// computed at each, so tests can check a stream's cells against the books' tokens), and refuses a batch that is not
/// contiguous with what the stream already holds. The sampled token depends only on the
/// last fed token and its position, so an output never depends on batching or preemption.
/// </summary>
public sealed class FakeModelRunner : IModelRunner
{
    private readonly Dictionary<int, SortedDictionary<int, int>> _positions = [];
    private readonly Dictionary<int, int[]> _cachedTokens = [];
    private readonly HashSet<long> _samplers = [];
    private readonly Dictionary<int, int> _cachedCells = [];

    public FakeModelRunner(ModelInfo info, Func<int, int, int>? nextToken = null, int blockSize = 4)
    {
        Info = info;
        BlockSize = blockSize;
        NextToken = nextToken ?? ((last, pos) => (last * 31 + pos * 7 + 3) % (info.VocabSize - 1) + 1);
    }

    public ModelInfo Info { get; }
    public int BlockSize { get; }
    /// <summary>Cached block id → first position of its cells, as the runner keeps them apart from sequences.</summary>
    public IReadOnlyDictionary<int, int> CachedCells => _cachedCells;
    public int NumHits { get; private set; }
    public Func<int, int, int> NextToken { get; }
    public int NumExecuted { get; private set; }
    public List<int> BatchSizes { get; } = [];
    /// <summary>Sequences with live sampler state (sampled at least once and not finished).</summary>
    public IReadOnlyCollection<long> LiveSamplers => _samplers;
    /// <summary>When set, Execute throws for batches containing this sequence.</summary>
    public long? FailFor { get; set; }
    /// <summary>The next this many batches fail whatever they contain (a transient fault).</summary>
    public int NumBatchesToFail { get; set; }
    /// <summary>
    /// How an injected failure leaves memory, like a llama_decode that fails half-way: the first sequence's tokens are
    /// written to its stream, a stray cell lands in a free stream, a stray cached block appears and a real one vanishes.
    /// </summary>
    public bool CorruptOnFailure { get; set; }
    /// <summary>Batches that failed by injection.</summary>
    public int NumInjectedFailures { get; private set; }
    /// <summary>Wall time each step takes, so engine-loop tests can act while sequences run.</summary>
    public TimeSpan StepDelay { get; set; }

    public static ModelInfo Model(int maxModelLength = 64, int vocabSize = 100, int numBlocks = 8, int[]? eog = null, int cacheHolders = 0) =>
        new(maxModelLength, vocabSize, (eog ?? []).ToHashSet(), numBlocks, cacheHolders);

    public RunnerOutput Execute(SchedulerOutput output)
    {
        Apply(output.Events);
        if (output.Scheduled.Count > 0 && (NumBatchesToFail > 0 || output.Scheduled.Any(s => s.SequenceId == FailFor)))
        {
            NumBatchesToFail = Math.Max(0, NumBatchesToFail - 1);
            NumInjectedFailures++;
            if (CorruptOnFailure)
                Corrupt(output.Scheduled[0]);
            throw new ModelRunnerException("injected failure");
        }
        if (StepDelay > TimeSpan.Zero)
            Thread.Sleep(StepDelay);
        NumExecuted++;
        BatchSizes.Add(output.NumScheduledTokens);
        var sampled = new List<SampledToken>();
        foreach (var s in output.Scheduled)
        {
            var held = Held(s.KvStream);
            foreach (var hit in s.Hits)
            {
                // A retried step finds the hit already copied.
                if (Enumerable.Range(hit.Start, BlockSize).All(held.ContainsKey))
                    continue;
                if (_cachedCells.GetValueOrDefault(hit.BlockId, -1) != hit.Start)
                    throw new ModelRunnerException($"Hit on block {hit.BlockId} at {hit.Start}, which is not cached there.");
                for (int p = hit.Start; p < hit.Start + BlockSize; p++)
                    held[p] = _cachedTokens[hit.BlockId][p - hit.Start];
                NumHits++;
            }
            int expected = held.Count == 0 ? 0 : held.Keys.Last() + 1;
            if (s.StartPosition != expected)
                throw new InvalidOperationException($"KvStream {s.KvStream}: batch starts at {s.StartPosition}, cache ends at {expected - 1}.");
            for (int k = 0; k < s.TokenIds.Count; k++)
                held[s.StartPosition + k] = s.TokenIds[k];
            if (s.Sample)
            {
                _samplers.Add(s.SequenceId);
                int lastPos = s.StartPosition + s.TokenIds.Count - 1;
                sampled.Add(new SampledToken(s.SequenceId, NextToken(s.TokenIds[^1], lastPos)));
                foreach (var fork in s.Forks)
                {
                    // Like llama_memory_seq_cp: the fork's stream gets every position the parent holds.
                    if (_positions.TryGetValue(fork.KvStream, out var forkHeld) && forkHeld.Count > 0)
                        throw new InvalidOperationException($"Fork stream {fork.KvStream} is not empty.");
                    _positions[fork.KvStream] = new SortedDictionary<int, int>(held);
                    _samplers.Add(fork.SequenceId);
                    // Forks differ from the parent by sequence id, as seeded samples do.
                    sampled.Add(new SampledToken(fork.SequenceId, NextToken(s.TokenIds[^1] + (int)(fork.SequenceId % 7), lastPos)));
                }
            }
        }
        return new RunnerOutput(sampled);
    }

    private void Apply(KvEvents events)
    {
        foreach (var e in events.Log)
        {
            switch (e)
            {
                case EvictedBlock evicted:
                    if (!_cachedCells.Remove(evicted.BlockId))
                        throw new InvalidOperationException($"Evicted block {evicted.BlockId} was not cached.");
                    _cachedTokens.Remove(evicted.BlockId);
                    break;
                case CachedBlock c:
                    var held = _positions.GetValueOrDefault(c.KvStream);
                    if (held is null || !Enumerable.Range(c.Start, BlockSize).All(held.ContainsKey))
                        throw new InvalidOperationException($"Block {c.BlockId} cached from stream {c.KvStream} before it was computed.");
                    if (!_cachedCells.TryAdd(c.BlockId, c.Start))
                        throw new InvalidOperationException($"Block {c.BlockId} cached twice.");
                    _cachedTokens[c.BlockId] = [.. Enumerable.Range(c.Start, BlockSize).Select(p => held[p])];
                    break;
                case ReleasedSequence r:
                    if (r.KvStream is { } stream)
                        RemoveFrom(stream, r.NumRetainedTokens);
                    if (r.Finished)
                        _samplers.Remove(r.SequenceId);
                    break;
                case TrimmedStream t:
                    NumTrims++;
                    RemoveFrom(t.KvStream, t.NumKept);
                    break;
                case CopiedStream c:
                    // Like a whole-stream llama_memory_seq_cp (the destination's cells go), then seq_rm past the prefix.
                    NumCopies++;
                    _positions[c.KvStream] = new SortedDictionary<int, int>(Held(c.SourceStream));
                    RemoveFrom(c.KvStream, c.NumKept);
                    break;
            }
        }
    }

    /// <summary>
    /// This runner's memory once <paramref name="pending"/> (the KV changes on their way with the next plan) are applied,
    /// as a copy: between steps the books are ahead of the runner by exactly those changes.
    /// </summary>
    public FakeModelRunner Preview(KvEvents pending)
    {
        var copy = new FakeModelRunner(Info, NextToken, BlockSize);
        foreach (var (stream, held) in _positions)
            copy._positions[stream] = new SortedDictionary<int, int>(held);
        foreach (var (block, tokens) in _cachedTokens)
            copy._cachedTokens[block] = tokens;
        foreach (var (block, start) in _cachedCells)
            copy._cachedCells[block] = start;
        copy._samplers.UnionWith(_samplers);
        copy.Apply(pending);
        return copy;
    }

    private SortedDictionary<int, int> Held(int stream) => _positions.TryGetValue(stream, out var held) ? held : _positions[stream] = [];

    // Like llama_memory_seq_rm(stream, from, -1).
    private void RemoveFrom(int stream, int from)
    {
        if (_positions.TryGetValue(stream, out var held))
            foreach (int p in held.Keys.Where(p => p >= from).ToList())
                held.Remove(p);
    }

    private void Corrupt(ScheduledSequence first)
    {
        var held = Held(first.KvStream);
        for (int k = 0; k < first.TokenIds.Count; k++)
            held[first.StartPosition + k] = first.TokenIds[k];
        int freeStream = Enumerable.Range(0, 64).First(stream => !_positions.TryGetValue(stream, out var p) || p.Count == 0);
        _positions[freeStream] = new() { [0] = 0, [1] = 0, [2] = 0 };
        _cachedCells[10_000 + NumInjectedFailures] = 0;
        _cachedTokens[10_000 + NumInjectedFailures] = new int[BlockSize];
        if (_cachedCells.Keys.FirstOrDefault(id => id < 10_000, -1) is var lost and >= 0)
            _cachedCells.Remove(lost);
    }

    public IReadOnlyList<int> Reconcile(KvBooks books)
    {
        NumReconciles++;
        foreach (var (stream, held) in _positions)
        {
            int computed = books.NumComputedByStream.GetValueOrDefault(stream);
            foreach (int p in held.Keys.Where(p => p >= computed).ToList())
                held.Remove(p);
        }
        foreach (var (blockId, start) in _cachedCells.ToList())
            if (books.CachedBlockStarts.GetValueOrDefault(blockId, -1) != start)
            {
                _cachedCells.Remove(blockId);
                _cachedTokens.Remove(blockId);
            }
        _samplers.RemoveWhere(id => !books.LiveSequenceIds.Contains(id));
        return [.. books.CachedBlockStarts.Keys.Where(id => !_cachedCells.ContainsKey(id))];
    }

    /// <summary>Times <see cref="Reconcile"/> ran.</summary>
    public int NumReconciles { get; private set; }

    public (int Min, int Max) GetStreamPositions(int stream) =>
        _positions.TryGetValue(stream, out var held) && held.Count > 0 ? (held.Keys.First(), held.Keys.Last()) : (-1, -1);

    /// <summary>The tokens stream <paramref name="stream"/>'s cells were computed from, in position order.</summary>
    public int[] StreamTokens(int stream) => _positions.TryGetValue(stream, out var held) ? [.. held.Values] : [];

    /// <summary>Retained-cell trims applied (<see cref="TrimmedStream"/> events).</summary>
    public int NumTrims { get; private set; }

    /// <summary>Stream copies applied (<see cref="CopiedStream"/> events).</summary>
    public int NumCopies { get; private set; }

    public int NumStreamsHoldingPositions => _positions.Count(p => p.Value.Count > 0);

    public void Dispose() { }
}

/// <summary>
/// Builds a <see cref="FakeModelRunner"/> for the engine loop, served with a <see cref="ByteTokenizer"/>, a
/// <see cref="PlainChatTemplate"/> and an <see cref="AcceptingGrammarChecker"/>.
/// </summary>
public sealed class FakeModelRunnerFactory(ModelInfo info, TimeSpan stepDelay = default, int blockSize = 4) : IModelRunnerFactory
{
    public FakeModelRunner? Runner { get; private set; }

    /// <summary>What the factory serves with its runner.</summary>
    public static ServedModel Served { get; } = new(new ByteTokenizer(), new PlainChatTemplate(), new AcceptingGrammarChecker(), 0);

    public Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken)
    {
        Runner = new FakeModelRunner(info, blockSize: blockSize) { StepDelay = stepDelay };
        return Task.FromResult(new LoadedModel(Runner, Served));
    }
}
