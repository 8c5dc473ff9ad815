using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>Steps a scheduler over the real runner without threads, checking llama.cpp's memory against the books.</summary>
public sealed class RealEngineDriver : IDisposable
{
    private readonly LlamaModelRunner _runner;
    // Drivers share one runner, whose samplers are keyed by sequence id: ids stay unique across drivers.
    private static long _nextId;

    public RealEngineDriver(LlamaModelRunner runner, int numBlocks, int blockSize = 4, int maxSequences = 4, int maxBatchTokens = 16,
        bool prefixCaching = true)
    {
        _runner = runner;
        Kv = new KvCacheManager(numBlocks, blockSize, prefixCaching ? runner.Info.NumCacheHolders : 0);
        Scheduler = new Scheduler(Kv, runner.Info with { NumBlocks = numBlocks }, maxSequences, maxBatchTokens, true, TimeProvider.System);
        MaxSequences = maxSequences;
    }

    public KvCacheManager Kv { get; }
    public Scheduler Scheduler { get; }
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

    public void Step()
    {
        _runner.Apply(Scheduler.TakeKvEvents());
        var output = Scheduler.Schedule();
        Scheduler.Update(output, _runner.Execute(output));
        _runner.Apply(Scheduler.TakeKvEvents());
    }

    public void Abort(Sequence seq)
    {
        Scheduler.Abort(seq.SequenceId);
        _runner.Apply(Scheduler.TakeKvEvents());
    }

    public void RunToIdle()
    {
        for (int i = 0; Scheduler.HasWork; i++)
        {
            Assert.True(i < 100_000);
            Step();
            CheckMemoryMatchesBooks();
        }
    }

    /// <summary>Empties the prefix cache so the shared runner starts clean for the next driver.</summary>
    public void ClearCache()
    {
        Kv.ResetPrefixCache();
        _runner.Apply(Scheduler.TakeKvEvents());
        Assert.Empty(_runner.CachedCells);
    }

    /// <summary>Ends whatever is still live and empties the cache, even when a test failed half-way.</summary>
    public void Dispose()
    {
        foreach (var seq in All.Where(s => !s.IsFinished))
            Scheduler.Abort(seq.SequenceId);
        Kv.ResetPrefixCache();
        _runner.Apply(Scheduler.TakeKvEvents());
    }

    /// <summary>llama.cpp holds positions 0…computed−1 for each running sequence's slot, and nothing for free slots.</summary>
    public void CheckMemoryMatchesBooks()
    {
        var running = Scheduler.Running.ToDictionary(s => s.Slot);
        for (int slot = 0; slot < MaxSequences; slot++)
        {
            var positions = _runner.GetSlotPositions(slot);
            if (running.TryGetValue(slot, out var seq) && seq.NumComputedTokens > 0)
            {
                Assert.Equal((0, seq.NumComputedTokens - 1), positions);
                Assert.True(seq.BlockTable.Count * Kv.BlockSize >= seq.NumComputedTokens);
            }
            else
                Assert.Equal((-1, -1), positions);
        }
        // Cached blocks' cells live in holder ids at their own positions, for exactly the blocks the books cache.
        var cached = Enumerable.Range(0, Kv.NumBlocks).Where(b => Kv.Pool[b].IsCached).ToHashSet();
        Assert.Equal(cached.Order(), _runner.CachedCells.Keys.Order());
        foreach (var (blockId, (holder, start)) in _runner.CachedCells)
        {
            Assert.Equal(Kv.Pool[blockId].ChainIndex * Kv.BlockSize, start);
            var (min, max) = _runner.GetSlotPositions(holder);
            Assert.True(min <= start && max >= start + Kv.BlockSize - 1, $"holder {holder} lacks positions {start}…");
        }
    }

    public static int[] Output(Sequence s) => s.TokenIds.Skip(s.NumPromptTokens).ToArray();
}
