using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// Continuous-batching scheduler. One rule drives it: each step, computed tokens catch up with total tokens
/// within the token budget — running sequences first (decode, or the next prefill chunk), then waiting ones in
/// FIFO order while their prompt's blocks and a llama.cpp sequence slot are free. When a running sequence needs
/// a block and none is free, the most recently admitted running sequence is preempted (recomputed later);
/// a step that preempts admits nobody. Same shape as vLLM's V1 scheduler.
/// </summary>
/// <remarks>Not thread-safe: owned by the engine thread.</remarks>
public sealed class Scheduler
{
    private readonly KvCacheManager _kv;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private readonly Dictionary<long, Sequence> _live = [];
    private readonly Queue<int> _freeSlots;
    private readonly List<ReleasedSequence> _released = [];
    private readonly TimeProvider _time;
    private readonly int _maxBatchTokens;
    private readonly bool _chunkedPrefill;

    /// <summary>Creates a scheduler over <paramref name="kv"/> for a model described by <paramref name="model"/>.</summary>
    public Scheduler(KvCacheManager kv, ModelInfo model, int maxSequences, int maxBatchTokens, bool chunkedPrefill, TimeProvider time)
    {
        _kv = kv;
        Model = model;
        _maxBatchTokens = maxBatchTokens;
        _chunkedPrefill = chunkedPrefill;
        _time = time;
        _freeSlots = new Queue<int>(Enumerable.Range(0, maxSequences));
    }

    /// <summary>The model being scheduled for.</summary>
    public ModelInfo Model { get; }
    /// <summary>The KV-cache manager.</summary>
    public KvCacheManager KvCache => _kv;
    /// <summary>Sequences waiting for admission (preempted ones included).</summary>
    public int NumWaiting => _waiting.Count;
    /// <summary>Sequences holding blocks.</summary>
    public int NumRunning => _running.Count;
    /// <summary>Preemptions since start.</summary>
    public long NumPreemptions { get; private set; }
    /// <summary>Prompt tokens of all admitted requests since start.</summary>
    public long NumPromptTokens { get; private set; }
    /// <summary>Tokens sampled since start.</summary>
    public long NumGeneratedTokens { get; private set; }
    /// <summary>Prompt tokens served from the prefix cache since start.</summary>
    public long NumCachedPromptTokens { get; private set; }
    /// <summary>True while any sequence waits or runs.</summary>
    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;
    /// <summary>Running sequences in admission order.</summary>
    public IReadOnlyList<Sequence> Running => _running;

    /// <summary>Queues a new sequence at the back.</summary>
    public void Add(Sequence sequence)
    {
        _live.Add(sequence.SequenceId, sequence);
        _waiting.AddLast(sequence);
        NumPromptTokens += sequence.NumPromptTokens;
    }

    /// <summary>Looks up a live (not finished) sequence.</summary>
    public Sequence? Find(long sequenceId) => _live.GetValueOrDefault(sequenceId);

    /// <summary>Plans one step. KV changes decided here (preemptions, evictions) travel in <see cref="SchedulerOutput.Events"/>.</summary>
    public SchedulerOutput Schedule()
    {
        int budget = _maxBatchTokens;
        var scheduled = new List<ScheduledSequence>();
        var preemptedIds = new List<long>();
        var released = new List<ReleasedSequence>();
        // Finished sequences not yet handed to the runner go first, so their slots are clean before reuse.
        released.AddRange(_released);
        _released.Clear();

        for (int i = 0; i < _running.Count && budget > 0;)
        {
            var seq = _running[i];
            int n = Math.Min(seq.NumUncomputedTokens, _chunkedPrefill ? budget : Math.Max(budget, seq.NumUncomputedTokens));
            if (_kv.Allocate(seq, n))
            {
                scheduled.Add(Plan(seq, n));
                budget -= n;
                i++;
                continue;
            }
            // No free block: preempt the most recently admitted running sequence (possibly seq itself).
            var victim = _running[^1];
            PreemptLast(released);
            preemptedIds.Add(victim.SequenceId);
            if (victim == seq)
                break;
        }

        if (preemptedIds.Count == 0)
            AdmitWaiting(scheduled, ref budget);

        var (cached, evicted) = _kv.TakeEvents();
        return new SchedulerOutput(new KvEvents(evicted, cached, released), scheduled, _maxBatchTokens - budget, preemptedIds);
    }

    private void AdmitWaiting(List<ScheduledSequence> scheduled, ref int budget)
    {
        while (_waiting.First is { } node && budget > 0 && _freeSlots.Count > 0)
        {
            var seq = node.Value;
            if (!_chunkedPrefill && seq.NumUncomputedTokens > budget && scheduled.Count > 0)
                break;
            // Admit only when blocks for the whole remaining prompt are free (FIFO: nobody jumps the queue).
            if (_kv.AllocateForAdmission(seq) is not { } hits)
                break;
            _waiting.RemoveFirst();
            seq.Admit(_freeSlots.Dequeue());
            _running.Add(seq);
            if (seq.NumPreemptions == 0)
                NumCachedPromptTokens += seq.NumCachedTokens;
            int remaining = seq.NumUncomputedTokens;
            int n = _chunkedPrefill ? Math.Min(remaining, budget) : remaining;
            scheduled.Add(Plan(seq, n, hits));
            budget -= n;
        }
    }

    private static ScheduledSequence Plan(Sequence seq, int numTokens, IReadOnlyList<BlockHit>? hits = null)
    {
        int start = seq.NumComputedTokens;
        var tokens = new int[numTokens];
        for (int k = 0; k < numTokens; k++)
            tokens[k] = seq.TokenIds[start + k];
        bool sample = start + numTokens == seq.NumTokens;
        return new ScheduledSequence(seq.SequenceId, seq.Slot, start, tokens, sample, seq.Sampling, hits ?? []);
    }

    private void PreemptLast(List<ReleasedSequence> released)
    {
        var victim = _running[^1];
        _running.RemoveAt(_running.Count - 1);
        released.Add(new ReleasedSequence(victim.SequenceId, victim.Slot, Finished: false));
        _freeSlots.Enqueue(victim.Slot);
        _kv.Free(victim);
        victim.Preempt();
        _waiting.AddFirst(victim);
        NumPreemptions++;
    }

    /// <summary>
    /// Applies a step's results: advances computed tokens, appends sampled tokens, checks end-of-generation,
    /// max_tokens and the context limit, and frees the blocks of sequences that finished.
    /// </summary>
    public IReadOnlyList<StepResult> Update(SchedulerOutput output, RunnerOutput runnerOutput)
    {
        foreach (var s in output.Scheduled)
        {
            var seq = _live[s.SequenceId];
            seq.AddComputedTokens(s.TokenIds.Count);
            _kv.CacheComputedBlocks(seq);
        }

        var results = new List<StepResult>(runnerOutput.Sampled.Count);
        var now = _time.GetUtcNow();
        foreach (var (sequenceId, tokenId) in runnerOutput.Sampled)
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
            results.Add(new StepResult(sequenceId, tokenId, eog, FinishReasons.FromStatus(seq.Status),
                seq.NumPromptTokens, seq.NumOutputTokens, seq.NumCachedTokens));
        }
        return results;
    }

    /// <summary>Ends every sequence of a step that the runner could not compute.</summary>
    public IReadOnlyList<StepResult> Fail(SchedulerOutput output, string error)
    {
        var results = new List<StepResult>();
        foreach (var s in output.Scheduled)
        {
            if (_live.GetValueOrDefault(s.SequenceId) is not { } seq)
                continue;
            FinishRunning(seq, SequenceStatus.FinishedError);
            results.Add(new StepResult(seq.SequenceId, null, false, FinishReason.Error, seq.NumPromptTokens, seq.NumOutputTokens,
                seq.NumCachedTokens, error));
        }
        return results;
    }

    /// <summary>
    /// Cancels a live sequence: a waiting one leaves the queue, a running one frees its blocks at once.
    /// Returns its last result, or null when it already ended.
    /// </summary>
    public StepResult? Abort(long sequenceId)
    {
        if (_live.GetValueOrDefault(sequenceId) is not { } seq)
            return null;
        if (seq.Status == SequenceStatus.Running)
            FinishRunning(seq, SequenceStatus.FinishedAborted);
        else
        {
            // A preempted sequence has no KV left but still owns a sampler in the runner.
            if (seq.Status == SequenceStatus.Preempted)
                _released.Add(new ReleasedSequence(seq.SequenceId, -1, Finished: true));
            _waiting.Remove(seq);
            _live.Remove(sequenceId);
            seq.Finish(SequenceStatus.FinishedAborted);
        }
        return new StepResult(sequenceId, null, false, FinishReason.Abort, seq.NumPromptTokens, seq.NumOutputTokens, seq.NumCachedTokens);
    }

    private void FinishRunning(Sequence seq, SequenceStatus status)
    {
        _released.Add(new ReleasedSequence(seq.SequenceId, seq.Slot, Finished: true));
        _freeSlots.Enqueue(seq.Slot);
        _running.Remove(seq);
        _live.Remove(seq.SequenceId);
        _kv.Free(seq);
        seq.Finish(status);
    }

    /// <summary>
    /// Takes the KV events since the last step (blocks cached or evicted, sequences that ended) for the runner to
    /// apply at once, so llama.cpp's memory never lags the books while the engine waits for work.
    /// </summary>
    public KvEvents TakeKvEvents()
    {
        var (cached, evicted) = _kv.TakeEvents();
        if (cached.Count == 0 && evicted.Count == 0 && _released.Count == 0)
            return KvEvents.None;
        var events = new KvEvents(evicted, cached, _released.ToArray());
        _released.Clear();
        return events;
    }
}
