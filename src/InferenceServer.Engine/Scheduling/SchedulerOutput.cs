using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// One sequence's share of a step: <see cref="TokenIds"/> at positions
/// <see cref="StartPosition"/> … <see cref="StartPosition"/> + count − 1 of llama.cpp sequence <see cref="Slot"/>.
/// </summary>
/// <param name="Sample">True when this chunk ends the sequence's known tokens, so a new token is sampled from its last logits row.</param>
public sealed record ScheduledSequence(
    long SequenceId, int Slot, int StartPosition, IReadOnlyList<int> TokenIds, bool Sample, SamplingParams Sampling);

/// <summary>A sequence whose llama.cpp memory must be dropped; <paramref name="Finished"/> also ends its sampler.</summary>
public readonly record struct ReleasedSequence(long SequenceId, int Slot, bool Finished);

/// <summary>One step's plan: what to release first, then what to compute in a single batch.</summary>
/// <param name="Released">Sequences that ended or were preempted since the last step.</param>
/// <param name="Scheduled">Decode tokens of running sequences first, then prefill chunks.</param>
/// <param name="NumScheduledTokens">Tokens in the batch (≤ the token budget).</param>
/// <param name="Preempted">Sequence ids preempted in this step.</param>
public sealed record SchedulerOutput(
    IReadOnlyList<ReleasedSequence> Released,
    IReadOnlyList<ScheduledSequence> Scheduled,
    int NumScheduledTokens,
    IReadOnlyList<long> Preempted)
{
    /// <summary>True when there is nothing to compute.</summary>
    public bool IsEmpty => Scheduled.Count == 0;
}
