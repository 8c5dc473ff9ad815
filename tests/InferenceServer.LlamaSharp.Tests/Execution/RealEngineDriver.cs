using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>
/// Steps a scheduler over the real runner without threads, checking llama.cpp's memory against the books each time a
/// plan has run (then the runner has applied every KV change decided so far; between steps the books are ahead by the
/// changes the next plan carries).
/// </summary>
public sealed class RealEngineDriver : IDisposable
{
    private readonly LlamaModelRunner _runner;
    // Drivers share one runner, whose samplers are keyed by sequence id: ids stay unique across drivers.
    private static long _nextId;

    public RealEngineDriver(LlamaModelRunner runner, int numBlocks, int blockSize = 4, int maxSequences = 4, int maxBatchTokens = 16,
        bool prefixCaching = true, int maxIdleCachedBlocks = -1, bool fixedChunks = false, bool? retainStreams = null)
        : this(runner, numBlocks, blockSize, maxSequences, maxBatchTokens, prefixCaching, maxIdleCachedBlocks, fixedChunks, retainStreams,
            checkEachPlan: true)
    {
    }

    private RealEngineDriver(LlamaModelRunner runner, int numBlocks, int blockSize, int maxSequences, int maxBatchTokens,
        bool prefixCaching, int maxIdleCachedBlocks, bool fixedChunks, bool? retainStreams, bool checkEachPlan)
    {
        _runner = runner;
        Kv = new KvCacheManager(numBlocks, blockSize, prefixCaching ? runner.Info.NumCacheHolders : 0, maxIdleCachedBlocks);
        // As the engine loop: per-sequence streams retain a free stream's cells whenever prefix caching is on.
        Scheduler = new Scheduler(Kv, runner.Info with { NumBlocks = numBlocks }, maxSequences, maxBatchTokens, true, TimeProvider.System, fixedChunks,
            retainStreams ?? (prefixCaching && runner.PerSequenceStreams));
        Core = new EngineCore(Scheduler, checkEachPlan ? new CheckingRunner(runner, this) : runner);
        MaxSequences = maxSequences;
    }

    public KvCacheManager Kv { get; }
    public Scheduler Scheduler { get; }
    public EngineCore Core { get; }
    public int MaxSequences { get; }
    public List<Sequence> All { get; } = [];

    public Sequence Add(int[] prompt, int maxTokens, float temperature = 0, uint seed = 0)
    {
        var seq = new Sequence(Interlocked.Increment(ref _nextId), prompt,
            new SamplingParams { MaxTokens = maxTokens, Temperature = temperature, Seed = seed, IgnoreEos = true }, DateTimeOffset.UtcNow);
        All.Add(seq);
        Scheduler.Add(seq);
        return seq;
    }

    /// <summary>Adds an n-choice request: the first sequence plus n − 1 forks with seeds seed + i.</summary>
    public List<Sequence> AddChoices(int[] prompt, int maxTokens, int n, float temperature = 0, uint seed = 0)
    {
        var seqs = Enumerable.Range(0, n).Select(i => new Sequence(Interlocked.Increment(ref _nextId), prompt,
            new SamplingParams { MaxTokens = maxTokens, Temperature = temperature, Seed = seed + (uint)i, IgnoreEos = true },
            DateTimeOffset.UtcNow, choiceIndex: i)).ToList();
        All.AddRange(seqs);
        Scheduler.Add(seqs[0], seqs.Skip(1).ToList());
        return seqs;
    }

    public IReadOnlyList<StepResult> Step() => [.. Core.Step().Results];

    public void Abort(Sequence seq)
    {
        Scheduler.Requests.Collect(Scheduler.AbortSequence(seq.SequenceId));
        // As the engine loop: an idle engine's next step is empty and carries the frees to the runner.
        if (!Scheduler.HasWork)
            Core.Step();
    }

    public void RunToIdle()
    {
        // As the engine loop: once nothing is left to compute, an empty step carries the last frees to the runner.
        for (int i = 0; Scheduler.HasWork || Core.HasPendingKvEvents; i++)
        {
            Assert.True(i < 100_000);
            Step();
            CheckMemoryMatchesBooks();
        }
    }

    /// <summary>Empties the prefix cache and free streams' retained cells so the shared runner starts clean for the next driver.</summary>
    public void ClearCache()
    {
        Assert.False(Scheduler.HasWork);
        Kv.ResetPrefixCache();
        Scheduler.DropRetainedStreams();
        Assert.Empty(Core.Step().Plan.Scheduled);
        Assert.Empty(_runner.CachedCells);
    }

    /// <summary>Ends whatever is still live and empties the cache, even when a test failed half-way.</summary>
    public void Dispose()
    {
        foreach (var seq in All.Where(s => !s.IsFinished))
            Scheduler.Requests.Collect(Scheduler.AbortSequence(seq.SequenceId));
        Kv.ResetPrefixCache();
        Scheduler.DropRetainedStreams();
        Core.Step();
    }

    /// <summary>
    /// llama.cpp holds positions 0…computed−1 for each running sequence's stream, 0…n−1 for a free stream retaining n
    /// cells (per-sequence layout), and nothing for other free streams; each
    /// cache holder holds exactly the cells of its cached blocks. Cells are counted, not just bounded, so a
    /// cell that llama.cpp holds and no block accounts for fails the check. While KV changes wait for the next plan the
    /// memory lags the books: the check then stands on the one made when the last plan ran.
    /// </summary>
    public void CheckMemoryMatchesBooks()
    {
        if (!Kv.HasEvents)
            CheckMemoryAfter(executed: []);
    }

    // The check once `executed` ran: those sequences hold their new tokens, and their forks the parent's cells, which
    // the books count only after the update.
    private void CheckMemoryAfter(IReadOnlyList<ScheduledSequence> executed)
    {
        var running = Scheduler.Running.ToDictionary(s => s.KvStream!.Value);
        var computed = running.ToDictionary(r => r.Key, r => r.Value.NumComputedTokens);
        foreach (var s in executed)
            foreach (int stream in s.Forks.Select(f => f.KvStream).Prepend(s.KvStream))
                computed[stream] = s.StartPosition + s.TokenIds.Count;
        var retained = Scheduler.RetainedStreams;
        Assert.Empty(retained.Keys.Intersect(computed.Keys));
        for (int stream = 0; stream < MaxSequences; stream++)
        {
            var positions = _runner.GetStreamPositions(stream);
            if (computed.GetValueOrDefault(stream) is var n and > 0)
            {
                Assert.Equal((0, n - 1), positions);
                if (running.TryGetValue(stream, out var seq))
                    Assert.True(seq.BlockTable.Count * Kv.BlockSize >= n);
            }
            else if (retained.TryGetValue(stream, out var tokens))
                Assert.Equal((0, tokens.Length - 1), positions);
            else
                Assert.Equal((-1, -1), positions);
        }
        // Cached blocks' cells live in holder ids at their own positions, for exactly the blocks the books cache.
        var cached = Enumerable.Range(0, Kv.NumBlocks).Where(b => Kv.Pool[b].IsCached).ToHashSet();
        Assert.Equal(cached.Order(), _runner.CachedCells.Keys.Order());
        foreach (var (blockId, (holder, start)) in _runner.CachedCells)
        {
            Assert.Equal(Kv.Pool[blockId].ChainIndex * Kv.BlockSize, start);
            var (min, max) = _runner.GetSeqIdPositions(holder);
            Assert.True(min <= start && max >= start + Kv.BlockSize - 1, $"holder {holder} lacks positions {start}…");
        }
        var counter = CellCounter.For(_runner);
        for (int stream = 0; stream < MaxSequences; stream++)
        {
            int expected = computed.TryGetValue(stream, out int n) ? n : retained.GetValueOrDefault(stream)?.Length ?? 0;
            int cells = counter.Count(LlamaModelRunner.SeqIdOf(stream).Value);
            Assert.True(cells == expected, $"stream {stream} holds {cells} cells, the books {expected}");
        }
        var blocksPerHolder = _runner.CachedCells.Values.GroupBy(c => c.CacheHolder).ToDictionary(g => g.Key, g => g.Count());
        for (int holder = _runner.FirstCacheHolder; holder < _runner.FirstCacheHolder + _runner.Info.NumCacheHolders; holder++)
        {
            int expected = blocksPerHolder.GetValueOrDefault(holder) * Kv.BlockSize;
            Assert.True(counter.Count(holder) == expected, $"holder {holder} holds {counter.Count(holder)} cells, its blocks {expected}");
        }
    }

    /// <summary>Measures what <see cref="CheckMemoryMatchesBooks"/> needs to count cells; call while the runner holds nothing.</summary>
    public static void PrepareCellCounting(LlamaModelRunner runner) => CellCounter.For(runner);

    /// <summary>
    /// Counts the cells a llama.cpp sequence id holds from the size of its saved state, which is a header plus a fixed
    /// number of bytes per cell; both are measured once per runner on a sequence of known length.
    /// </summary>
    private sealed class CellCounter
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LlamaModelRunner, CellCounter> _counters = new();
        private readonly LlamaModelRunner _runner;
        private readonly long _empty, _header, _perCell;

        private CellCounter(LlamaModelRunner runner)
        {
            _runner = runner;
            using var driver = new RealEngineDriver(runner, 8, 4, 4, 16, prefixCaching: false, -1, false, null, checkEachPlan: false);
            var seq = driver.Add([10, 11, 12, 13, 14, 15, 16], maxTokens: 3);
            // The runner holds nothing yet, so any id's state is empty; the sequence gets its stream on its first step.
            _empty = runner.GetSequenceStateBytes(LlamaModelRunner.SeqIdOf(0).Value);
            driver.Step();
            long seven = runner.GetSequenceStateBytes(LlamaModelRunner.SeqIdOf(seq.KvStream!.Value).Value);
            driver.Step();
            long eight = runner.GetSequenceStateBytes(LlamaModelRunner.SeqIdOf(seq.KvStream!.Value).Value);
            Assert.Equal(8, seq.NumComputedTokens);
            _perCell = eight - seven;
            _header = seven - 7 * _perCell;
            while (driver.Scheduler.HasWork)
                driver.Step();
        }

        /// <summary>The runner's counter; the first call measures, so make it while the runner holds nothing.</summary>
        public static CellCounter For(LlamaModelRunner runner) => _counters.GetValue(runner, r => new CellCounter(r));

        public int Count(int seqId)
        {
            long bytes = _runner.GetSequenceStateBytes(seqId);
            if (bytes == _empty)
                return 0;
            Assert.True((bytes - _header) % _perCell == 0, $"sequence id {seqId}: {bytes} state bytes is no whole number of cells");
            return (int)((bytes - _header) / _perCell);
        }
    }

    // Forwards to the real runner and checks memory against the books right after each plan ran.
    private sealed class CheckingRunner(LlamaModelRunner inner, RealEngineDriver driver) : IModelRunner
    {
        public ModelInfo Info => inner.Info;

        public RunnerOutput Execute(SchedulerOutput output)
        {
            var result = inner.Execute(output);
            driver.CheckMemoryAfter(output.Scheduled);
            return result;
        }

        public IReadOnlyList<int> Reconcile(KvBooks books) => inner.Reconcile(books);

        public void Dispose()
        {
        }
    }

    public static int[] Output(Sequence s) => s.TokenIds.Skip(s.NumPromptTokens).ToArray();
}
