using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Tests;

/// <summary>Drives a scheduler and a fake runner step by step, as the engine loop does, without threads.</summary>
public sealed class SchedulerHarness
{
    private long _nextId;

    public SchedulerHarness(int numBlocks = 8, int blockSize = 4, int maxSequences = 4, int maxBatchTokens = 32,
        bool chunkedPrefill = true, int maxModelLength = 64, int[]? eog = null, Func<int, int, int>? nextToken = null,
        int cacheHolders = 0, int maxIdleCachedBlocks = -1, bool fixedChunks = false, bool retainStreams = false)
    {
        Kv = new KvCacheManager(numBlocks, blockSize, cacheHolders, maxIdleCachedBlocks);
        Runner = new FakeModelRunner(FakeModelRunner.Model(maxModelLength, 100, numBlocks, eog, cacheHolders), nextToken, blockSize);
        Scheduler = new Scheduler(Kv, Runner.Info, maxSequences, maxBatchTokens, chunkedPrefill, TimeProvider.System, fixedChunks, retainStreams);
        Core = new EngineCore(Scheduler, Runner);
    }

    public EngineCore Core { get; }

    public KvCacheManager Kv { get; }
    public FakeModelRunner Runner { get; }
    public Scheduler Scheduler { get; }
    public Dictionary<long, Sequence> All { get; } = [];
    public Dictionary<long, List<StepResult>> Results { get; } = [];

    public Sequence Add(int promptLength, int maxTokens, int firstToken = 1, bool ignoreEos = false)
    {
        var prompt = Enumerable.Range(firstToken, promptLength).Select(t => t % 90 + 1).ToArray();
        return Add(prompt, maxTokens, ignoreEos);
    }

    public Sequence Add(int[] prompt, int maxTokens, bool ignoreEos = false, int n = 1)
    {
        var sampling = new SamplingParams { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = ignoreEos };
        var seq = new Sequence(++_nextId, prompt, sampling, DateTimeOffset.UtcNow);
        var forks = Enumerable.Range(1, n - 1).Select(i => new Sequence(++_nextId, prompt, sampling, DateTimeOffset.UtcNow, i)).ToList();
        foreach (var s in forks.Prepend(seq))
        {
            All[s.SequenceId] = s;
            Results[s.SequenceId] = [];
        }
        Scheduler.Add(seq, forks);
        return seq;
    }

    /// <summary>One step of the engine core; results are recorded per sequence.</summary>
    public SchedulerOutput Step()
    {
        var step = Core.Step();
        Outputs.Add(step.Outputs);
        foreach (var r in step.Results)
            Results[r.SequenceId].Add(r);
        return step.Plan;
    }

    /// <summary>Every step's request outputs, in step order.</summary>
    public List<IReadOnlyList<RequestOutput>> Outputs { get; } = [];

    /// <summary>
    /// Cancels one sequence (its pending forks along), as the scheduler does below the request's choices. As the engine
    /// loop, an engine left idle then runs an empty step, whose plan carries the frees to the runner.
    /// </summary>
    public void Abort(long id)
    {
        foreach (var r in Scheduler.Requests.Collect(Scheduler.AbortSequence(id)).SelectMany(o => o.Results))
            Results[r.SequenceId].Add(r);
        if (!Scheduler.HasWork)
            Step();
    }

    /// <summary>Steps until nothing is left to compute or to tell the runner; returns the steps that computed something.</summary>
    public int RunToIdle(int maxSteps = 10_000)
    {
        int steps = 0;
        // As the engine loop: once nothing is left to compute, an empty step carries the last frees to the runner.
        for (int i = 0; (Scheduler.HasWork || Core.HasPendingKvEvents) && i < maxSteps; i++)
            if (!Step().IsEmpty)
                steps++;
        Assert.False(Scheduler.HasWork, "scheduler did not drain");
        return steps;
    }

    public int[] Output(long id) => All[id].TokenIds.Skip(All[id].NumPromptTokens).ToArray();

    /// <summary>The KV books' invariants, checked against the runner's view of llama.cpp memory.</summary>
    public void CheckInvariants()
    {
        // Between steps the books are ahead of the runner by the KV changes the next plan carries.
        var runner = Runner.Preview(Kv.PendingEvents);
        var holders = new Dictionary<int, int>();
        var streams = new HashSet<int>();
        foreach (var seq in Scheduler.Holding)
        {
            int stream = Assert.NotNull(seq.KvStream);
            Assert.True(streams.Add(stream), $"stream {stream} used twice");
            Assert.True(seq.BlockTable.Count * Kv.BlockSize >= seq.NumComputedTokens);
            foreach (int b in seq.BlockTable)
                holders[b] = holders.GetValueOrDefault(b) + 1;
            var (min, max) = runner.GetStreamPositions(stream);
            Assert.Equal(seq.NumComputedTokens == 0 ? (-1, -1) : (0, seq.NumComputedTokens - 1), (min, max));
            Assert.Equal(seq.TokenIds.Take(seq.NumComputedTokens), runner.StreamTokens(stream));
            Assert.True(seq.NumComputedTokens == 0 || seq.Status == SequenceStatus.Running);
        }
        for (int b = 0; b < Kv.NumBlocks; b++)
        {
            int held = holders.GetValueOrDefault(b);
            Assert.Equal(held, Kv.Pool[b].RefCount);
            Assert.Equal(held == 0, Kv.Pool.IsFree(b));
        }
        Assert.Equal(Kv.NumBlocks, Kv.NumFreeBlocks + holders.Count);
        // The runner keeps cells for exactly the blocks the cache knows, at the positions it knows.
        var cached = Enumerable.Range(0, Kv.NumBlocks).Where(b => Kv.Pool[b].IsCached).ToDictionary(b => b, b => Kv.Pool[b].ChainIndex * Kv.BlockSize);
        Assert.Equal(cached.OrderBy(kv => kv.Key), runner.CachedCells.OrderBy(kv => kv.Key));
        Assert.Equal(Kv.NumCachedBlocks, cached.Count);
        // No more cached blocks at one position than the runner has holders for.
        Assert.All(cached.Values.GroupBy(v => v), g => Assert.True(g.Count() <= Kv.MaxCachedPerPosition));
        // A free stream holds exactly the tokens the books say it retains, and holds no blocks.
        foreach (var (stream, tokens) in Scheduler.RetainedStreams)
        {
            Assert.True(streams.Add(stream), $"stream {stream} both used and retaining");
            Assert.Equal(tokens, runner.StreamTokens(stream));
        }
        Assert.True(Scheduler.RetainsStreams || Scheduler.RetainedStreams.Count == 0);
        Assert.Equal(Scheduler.Holding.Count(s => s.NumComputedTokens > 0) + Scheduler.RetainedStreams.Count, runner.NumStreamsHoldingPositions);
    }
}
