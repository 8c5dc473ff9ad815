using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// One sequence's share of a step: <see cref="TokenIds"/> at positions
/// <see cref="StartPosition"/> … <see cref="StartPosition"/> + count − 1 of KV stream <see cref="KvStream"/>.
/// </summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="KvStream">Its KV stream (the runner maps it to a llama.cpp sequence id).</param>
/// <param name="StartPosition">Position of the first token of this chunk.</param>
/// <param name="TokenIds">The tokens to compute.</param>
/// <param name="Sampling">The sequence's sampling settings.</param>
/// <param name="Sample">True when this chunk ends the sequence's known tokens, so a new token is sampled from its last logits row.</param>
/// <param name="Hits">Cached blocks to copy into the stream before computing (first step after admission only).</param>
/// <param name="Forks">Sequences that start from this one's cells once this chunk is computed, each sampling its first
/// token from this sequence's last logits row (n &gt; 1 requests).</param>
public sealed record ScheduledSequence(
    long SequenceId, int KvStream, int StartPosition, IReadOnlyList<int> TokenIds, bool Sample, SamplingParams Sampling,
    IReadOnlyList<BlockHit> Hits, IReadOnlyList<ForkedSequence> Forks);

/// <summary>A sequence forked from a scheduled one: it gets all of the parent's cells in <paramref name="KvStream"/>.</summary>
public readonly record struct ForkedSequence(long SequenceId, int KvStream, SamplingParams Sampling);

/// <summary>One step's plan: KV changes to apply first, then what to compute in a single batch.</summary>
/// <param name="Events">KV changes decided since the last step (preemptions and evictions while scheduling included).</param>
/// <param name="Scheduled">Decode tokens of running sequences first, then prefill chunks.</param>
/// <param name="NumScheduledTokens">Tokens in the batch (≤ the token budget, but for one prefill chunk that may overrun it in deterministic mode).</param>
/// <param name="Preempted">Sequence ids preempted in this step.</param>
public sealed record SchedulerOutput(
    KvEvents Events,
    IReadOnlyList<ScheduledSequence> Scheduled,
    int NumScheduledTokens,
    IReadOnlyList<long> Preempted)
{
    /// <summary>True when there is nothing to compute.</summary>
    public bool IsEmpty => Scheduled.Count == 0;
}
