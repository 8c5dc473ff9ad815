using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// Continuous-batching scheduler. One rule drives it: each step, computed tokens catch up with total tokens
/// within the token budget — running sequences first (decode, or the next prefill chunk), then waiting ones in
/// FIFO order while their prompt's blocks and KV streams are free. When a running sequence needs
/// a block and none is free, the most recently admitted running sequence is preempted (recomputed later);
/// a step that preempts admits nobody. Same shape as vLLM's V1 scheduler.
/// </summary>
/// <remarks>
/// <para>
/// Stream-resident prefix reuse (per-sequence layout, <c>retainStreams</c>): a sequence that gives back its stream leaves its
/// computed cells in the stream, and a new sequence goes to the free stream whose retained tokens share the
/// longest prefix with its own (see <see cref="KvStreamPool"/>); cells past that prefix go (<see cref="TrimmedStream"/>) and
/// the sequence starts with the prefix computed and counted as cached, like a prefix-cache hit. When a running
/// sequence's stream holds a clearly longer usable prefix (<see cref="MinCopyTokens"/>), the new sequence starts from a
/// whole-stream copy of it trimmed to that prefix (<see cref="CopiedStream"/>) instead. Retained cells hold no
/// blocks: in that layout blocks are only the admission budget over MaxSequences equal streams, and a free
/// stream serves no one else, so counting its cells would only shrink admission. The books still say exactly what each
/// stream holds (<see cref="Books"/>). A failed sequence's stream is dropped (nothing of it is trusted); a preempted
/// one's is retained, so its recompute usually starts where it stopped.
/// </para>
/// A request (<see cref="EngineRequest"/>) owns its sequences: an n &gt; 1 request is one sequence that prefills the prompt plus n − 1 pending forks that reserve their streams and
/// blocks at admission and join the running sequences when the prompt is computed (see <see cref="KvCacheManager.Fork"/>).
/// Not thread-safe: owned by the engine thread.
/// </remarks>
public sealed partial class Scheduler
{
    private readonly KvCacheManager _kv;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private readonly Dictionary<long, Sequence> _live = [];
    private readonly RequestTable _requests = new();
    private readonly KvStreamPool _streams;
    private readonly TimeProvider _time;
    private readonly int _maxBatchTokens;
    private readonly bool _chunkedPrefill;
    private readonly bool _fixedChunks;

    /// <summary>
    /// Creates a scheduler over <paramref name="kv"/> for a model described by <paramref name="model"/>. With
    /// <paramref name="fixedChunks"/> a sequence's chunks depend on that sequence alone (see <see cref="EngineOptions.Deterministic"/>).
    /// With <paramref name="retainStreams"/> (per-sequence layout only) free streams keep their cells for reuse (see remarks).
    /// </summary>
    public Scheduler(KvCacheManager kv, ModelInfo model, int maxSequences, int maxBatchTokens, bool chunkedPrefill, TimeProvider time,
        bool fixedChunks = false, bool retainStreams = false)
    {
        _kv = kv;
        Model = model;
        _maxBatchTokens = maxBatchTokens;
        _chunkedPrefill = chunkedPrefill;
        _fixedChunks = fixedChunks;
        _time = time;
        MaxSequences = maxSequences;
        _streams = new KvStreamPool(maxSequences, retainStreams, fixedChunks ? maxBatchTokens : 0);
    }

    /// <summary>The model being scheduled for.</summary>
    public ModelInfo Model { get; }
    /// <summary>The KV-cache manager.</summary>
    public KvCacheManager KvCache => _kv;
    /// <summary>KV streams, hence sequences holding blocks at once.</summary>
    public int MaxSequences { get; }
    /// <summary>Sequences waiting for admission (preempted ones included).</summary>
    public int NumWaiting => _waiting.Count;
    /// <summary>Sequences holding blocks and decoding.</summary>
    public int NumRunning => _running.Count;
    /// <summary>True when free streams keep their cells for the next sequence (per-sequence layout).</summary>
    public bool RetainsStreams => _streams.Retains;
    /// <summary>Free streams whose stream holds cells → the tokens at positions 0 … n − 1.</summary>
    public IReadOnlyDictionary<int, int[]> RetainedStreams => _streams.RetainedTokens;
    /// <summary>Preemptions since start.</summary>
    public long NumPreemptions { get; private set; }
    /// <summary>Prompt tokens of all requests since start (a prompt shared by n choices counts once).</summary>
    public long NumPromptTokens { get; private set; }
    /// <summary>Prompt tokens served from the prefix cache (or a stream's retained cells) since start.</summary>
    public long NumCachedPromptTokens { get; private set; }
    /// <summary>Tokens sampled since start.</summary>
    public long NumGeneratedTokens { get; private set; }
    /// <summary>True while any sequence waits or runs.</summary>
    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;
    /// <summary>Running sequences in admission order.</summary>
    public IReadOnlyList<Sequence> Running => _running;
    /// <summary>Every sequence that holds blocks: running ones and the reserved forks of running ones.</summary>
    public IEnumerable<Sequence> Holding => _running.Concat(_running.SelectMany(s => s.PendingForks));

    /// <summary>The live requests, for turning sequences' results into request outputs.</summary>
    internal RequestTable Requests => _requests;

    /// <summary>Queues a request at the back: its first sequence prefills the prompt, the others wait as its pending forks.</summary>
    public void Add(EngineRequest request)
    {
        var sequence = request.Sequences[0];
        _requests.Add(request);
        _live.Add(sequence.SequenceId, sequence);
        foreach (var child in request.Sequences.Skip(1))
        {
            _live.Add(child.SequenceId, child);
            sequence.MutablePendingForks.Add(child);
        }
        _waiting.AddLast(sequence);
        NumPromptTokens += sequence.NumPromptTokens;
    }

    /// <summary>Queues a request of <paramref name="sequence"/> and <paramref name="forks"/> (one choice each) under the first sequence's id.</summary>
    public void Add(Sequence sequence, IReadOnlyList<Sequence>? forks = null) =>
        Add(new EngineRequest(sequence.SequenceId, [sequence, .. forks ?? []]));

    /// <summary>Looks up a live (not finished) sequence.</summary>
    public Sequence? Find(long sequenceId) => _live.GetValueOrDefault(sequenceId);

    /// <summary>Plans one step. KV changes decided here (preemptions, evictions) travel in <see cref="SchedulerOutput.Events"/>.</summary>
    public SchedulerOutput Schedule()
    {
        int budget = _maxBatchTokens;
        var scheduled = new List<ScheduledSequence>();
        var preemptedIds = new List<long>();

        for (int i = 0; i < _running.Count && budget > 0;)
        {
            var seq = _running[i];
            int n = ChunkLength(seq, budget);
            if (_kv.Allocate(seq, n))
            {
                scheduled.Add(Plan(seq, n));
                budget -= n;
                i++;
                continue;
            }
            // No free block: preempt the most recently admitted running sequence (possibly seq itself).
            var victim = _running[^1];
            PreemptLast();
            preemptedIds.Add(victim.SequenceId);
            if (victim == seq)
                break;
        }

        if (preemptedIds.Count == 0)
            AdmitWaiting(scheduled, ref budget);

        // Sequences finished since the last step come first in the log, so their streams are clean before reuse.
        return new SchedulerOutput(_kv.TakeEvents(), scheduled, scheduled.Sum(s => s.TokenIds.Count), preemptedIds);
    }

    private void AdmitWaiting(List<ScheduledSequence> scheduled, ref int budget)
    {
        bool admitted = false;
        while (_waiting.First is { } node && (budget > 0 || !_chunkedPrefill && !admitted)
               && _streams.NumFree >= 1 + node.Value.PendingForks.Count)
        {
            var seq = node.Value;
            // Without chunking a prompt goes in whole: one per step may overrun the budget, so a long prompt is
            // never starved by running decodes (it stalls them for one step instead — what chunking avoids).
            if (!_chunkedPrefill && seq.NumUncomputedTokens > budget && admitted)
                break;
            // Admit only when blocks for the whole remaining prompt are free (FIFO: nobody jumps the queue).
            var choice = _streams.Choose(seq, _running);
            if (_kv.AllocateForAdmission(seq, choice.NumReused) is not { } hits)
                break;
            _waiting.RemoveFirst();
            var now = _time.GetUtcNow();
            TakeStream(seq, choice, now);
            foreach (var child in seq.PendingForks)
                TakeStream(child, new KvStreamPool.Choice(_streams.LeastRecentlyUsed(), 0, null), now);
            _running.Add(seq);
            if (seq.NumPreemptions == 0)
                NumCachedPromptTokens += seq.NumCachedTokens;
            int n = ChunkLength(seq, budget);
            scheduled.Add(Plan(seq, n, hits));
            budget -= n;
            admitted = true;
        }
    }

    // Admits `seq` to the chosen stream, whose stream keeps its first NumReused retained cells, or gets a copy of those of
    // the source stream.
    private void TakeStream(Sequence seq, KvStreamPool.Choice choice, DateTimeOffset now)
    {
        int numRetained = _streams.Take(choice.KvStream);
        if (choice.SourceStream is { } source)
            _kv.CopyStream(source, choice.KvStream, choice.NumReused);
        else if (numRetained > choice.NumReused)
            _kv.TrimStream(choice.KvStream, choice.NumReused);
        seq.Admit(choice.KvStream, now);
    }

    /// <summary>
    /// Fewest more reusable tokens a running sequence's stream must hold than the best free stream for a new sequence to
    /// start from a copy of it (whole-stream copies cost about as much as computing a few tokens).
    /// </summary>
    public int MinCopyTokens
    {
        get => _streams.MinCopyTokens;
        set => _streams.MinCopyTokens = value;
    }

    /// <summary>Tokens of <paramref name="seq"/> to compute this step, with <paramref name="budget"/> tokens left in it.</summary>
    private int ChunkLength(Sequence seq, int budget)
    {
        int remaining = seq.NumUncomputedTokens;
        if (_fixedChunks)
        {
            // Boundaries independent of load: the prompt in budget-sized chunks from position 0, then one token per
            // step, as the first computation did, so a recompute after preemption repeats it exactly. A chunk may
            // overrun what is left of the step's budget.
            int promptLeft = seq.NumPromptTokens - seq.NumComputedTokens;
            return promptLeft > 0 ? Math.Min(promptLeft, _maxBatchTokens) : Math.Min(remaining, 1);
        }
        return _chunkedPrefill ? Math.Min(remaining, budget) : remaining;
    }

    private static ScheduledSequence Plan(Sequence seq, int numTokens, IReadOnlyList<BlockHit>? hits = null)
    {
        int start = seq.NumComputedTokens;
        var tokens = new int[numTokens];
        for (int k = 0; k < numTokens; k++)
            tokens[k] = seq.TokenIds[start + k];
        bool sample = start + numTokens == seq.NumTokens;
        var forks = sample ? seq.PendingForks.Select(c => new ForkedSequence(c.SequenceId, c.KvStream!.Value, c.Sampling)).ToArray() : [];
        return new ScheduledSequence(seq.SequenceId, seq.KvStream!.Value, start, tokens, sample, seq.Sampling, hits ?? [], forks);
    }

    private void PreemptLast()
    {
        var victim = _running[^1];
        _running.RemoveAt(_running.Count - 1);
        // Forks that never ran give back their reservation; they are reserved again with their parent.
        foreach (var child in victim.PendingForks)
        {
            ReleaseStream(child, finished: false);
            child.Unreserve();
        }
        ReleaseStream(victim, finished: false);
        victim.Preempt();
        _waiting.AddFirst(victim);
        NumPreemptions++;
    }

    // A stream given back keeps the cells its sequence computed when streams retain, unless the sequence failed.
    private void ReleaseStream(Sequence seq, bool finished, bool retain = true)
    {
        int numRetained = _streams.Retains && retain ? seq.NumComputedTokens : 0;
        _streams.Free(seq.KvStream!.Value, seq.TokenIds, numRetained, seq.NumPromptTokens);
        _kv.Release(seq, finished, numRetained);
    }

    /// <summary>The error a sequence ends with when the runner could not compute it.</summary>
    public const string FailedMessage = "The model failed to compute this request.";

    /// <summary>
    /// Applies a step's results: advances computed tokens, starts forks, appends sampled tokens, checks
    /// end-of-generation, max_tokens and the context limit, and frees the blocks of sequences that finished. The
    /// scheduled sequences in <paramref name="failed"/> computed nothing: they end with an error (see <see cref="FailedMessage"/>).
    /// Returns one output per request with news.
    /// </summary>
    public IReadOnlyList<RequestOutput> Update(SchedulerOutput output, RunnerOutput runnerOutput,
        IReadOnlyCollection<ScheduledSequence>? failed = null)
    {
        var computed = failed is not { Count: > 0 } ? output : output with { Scheduled = [.. output.Scheduled.Except(failed)] };
        var results = Advance(computed, runnerOutput);
        results.AddRange(Fail(failed ?? [], FailedMessage));
        return _requests.Collect(results);
    }

    private List<StepResult> Advance(SchedulerOutput output, RunnerOutput runnerOutput)
    {
        foreach (var s in output.Scheduled)
        {
            var seq = _live[s.SequenceId];
            seq.AddComputedTokens(s.TokenIds.Count);
            _kv.CacheComputedBlocks(seq);
            if (s.Forks.Count == 0)
                continue;
            // The prompt is computed: the forks now hold all of it (the runner copied the cells) and run on their own.
            foreach (var child in seq.PendingForks)
            {
                child.AddComputedTokens(seq.NumComputedTokens);
                _running.Add(child);
            }
            seq.MutablePendingForks.Clear();
        }

        var results = new List<StepResult>(runnerOutput.Sampled.Count);
        var now = _time.GetUtcNow();
        foreach (var (sequenceId, tokenId, logprobs) in runnerOutput.Sampled)
        {
            var seq = _live[sequenceId];
            seq.AppendToken(tokenId, now);
            NumGeneratedTokens++;
            bool eog = Model.EndOfGenerationTokenIds.Contains(tokenId);
            SequenceStatus? end =
                eog && !seq.Sampling.IgnoreEos ? SequenceStatus.FinishedStopped
                : seq.NumOutputTokens >= seq.Sampling.MaxTokens || seq.NumTokens >= Model.MaxModelLength ? SequenceStatus.FinishedLength
                : null;
            if (end is { } status)
                FinishRunning(seq, status);
            results.Add(Result(seq, tokenId, eog) with { Logprobs = logprobs });
        }
        return results;
    }

    /// <summary>
    /// What llama.cpp's memory must hold according to the books (see <see cref="IModelRunner.Reconcile"/>): each
    /// holding sequence's computed cells, and each free stream's retained cells.
    /// </summary>
    public KvBooks Books()
    {
        var computed = Holding.Where(s => s.NumComputedTokens > 0).ToDictionary(s => s.KvStream!.Value, s => s.NumComputedTokens);
        foreach (var (stream, tokens) in _streams.RetainedTokens)
            computed.Add(stream, tokens.Length);
        return new KvBooks(computed, _kv.CachedBlockStarts(), _live.Keys.ToHashSet());
    }

    /// <summary>Drops every free stream's retained cells (the runner hears it as <see cref="TrimmedStream"/> events); returns how many streams held some.</summary>
    public int DropRetainedStreams()
    {
        var streams = _streams.Clear();
        foreach (int stream in streams)
            _kv.TrimStream(stream, 0);
        return streams.Count;
    }

    /// <summary>Takes the KV events since the last plan; the engine's failure recovery hands them to its retry.</summary>
    internal KvEvents TakeKvEvents() => _kv.TakeEvents();
}
