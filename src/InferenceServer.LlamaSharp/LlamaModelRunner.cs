using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Scheduling;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Runs engine steps on one llama.cpp context whose unified KV cache holds every sequence; a sequence's slot is its
/// llama.cpp sequence id. Each step is one <c>llama_decode</c> over a batch of all scheduled tokens, with logits
/// requested only where a token is sampled; each sequence samples from its own logits row with its own chain.
/// Used only from the engine thread.
/// </summary>
public sealed class LlamaModelRunner : IModelRunner
{
    private readonly SafeLLamaContextHandle _context;
    private readonly LLamaBatch _batch = new();
    private readonly Dictionary<long, SafeLLamaSamplerChainHandle> _samplers = [];

    /// <summary>Wraps a context created for <paramref name="info"/>; the runner owns and disposes it.</summary>
    public LlamaModelRunner(SafeLLamaContextHandle context, ModelInfo info)
    {
        _context = context;
        Info = info;
    }

    /// <inheritdoc />
    public ModelInfo Info { get; }

    /// <summary>Live sampler chains (one per sequence that has sampled and not finished).</summary>
    public int NumSamplers => _samplers.Count;

    /// <inheritdoc />
    public RunnerOutput Execute(SchedulerOutput output)
    {
        Release(output.Released);
        if (output.Scheduled.Count == 0)
            return new RunnerOutput([]);

        _batch.Clear();
        var sampleRows = new List<(ScheduledSequence Seq, int Row)>();
        foreach (var s in output.Scheduled)
        {
            var seqId = (LLamaSeqId)s.Slot;
            int last = s.TokenIds.Count - 1;
            for (int k = 0; k <= last; k++)
            {
                bool wantLogits = s.Sample && k == last;
                int row = _batch.Add((LLamaToken)s.TokenIds[k], (LLamaPos)(s.StartPosition + k), seqId, wantLogits);
                if (wantLogits)
                    sampleRows.Add((s, row));
            }
        }

        var result = _context.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            // Drop whatever part of the batch reached the KV cache; the scheduler fails these sequences.
            foreach (var s in output.Scheduled)
                _context.MemorySequenceRemove((LLamaSeqId)s.Slot, (LLamaPos)s.StartPosition, (LLamaPos)(-1));
            throw new ModelRunnerException($"llama_decode returned {result} for {_batch.TokenCount} tokens.");
        }

        var sampled = new SampledToken[sampleRows.Count];
        for (int i = 0; i < sampleRows.Count; i++)
        {
            var (s, row) = sampleRows[i];
            var chain = SamplerFor(s);
            int token = (int)chain.Sample(_context, row);
            sampled[i] = new SampledToken(s.SequenceId, token);
        }
        return new RunnerOutput(sampled);
    }

    /// <inheritdoc />
    public void Release(IReadOnlyList<ReleasedSequence> released)
    {
        foreach (var r in released)
        {
            if (r.Slot >= 0)
                _context.MemorySequenceRemove((LLamaSeqId)r.Slot, (LLamaPos)(-1), (LLamaPos)(-1));
            // A preempted sequence keeps its chain: its RNG and penalty history go on after recompute.
            if (r.Finished && _samplers.Remove(r.SequenceId, out var chain))
                chain.Dispose();
        }
    }

    /// <inheritdoc />
    public (int Min, int Max) GetSlotPositions(int slot) =>
        ((int)_context.MemorySequenceMinPosition((LLamaSeqId)slot), (int)_context.MemorySequenceMaxPosition((LLamaSeqId)slot));

    private SafeLLamaSamplerChainHandle SamplerFor(ScheduledSequence s)
    {
        if (!_samplers.TryGetValue(s.SequenceId, out var chain))
        {
            chain = SamplerChainBuilder.Create(s.Sampling, Info.VocabSize, Info.MaxModelLength);
            _samplers.Add(s.SequenceId, chain);
        }
        return chain;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var chain in _samplers.Values)
            chain.Dispose();
        _samplers.Clear();
        _context.Dispose();
    }
}
