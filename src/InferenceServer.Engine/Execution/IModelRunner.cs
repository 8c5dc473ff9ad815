using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine.Execution;

/// <summary>
/// Runs one step on the model: releases the KV of ended or preempted sequences, feeds every scheduled token as
/// one batch (one llama.cpp decode), and samples a token for each sequence that asked for one.
/// Called only from the engine thread.
/// </summary>
public interface IModelRunner : IDisposable
{
    /// <summary>What the engine needs to know about the model.</summary>
    ModelInfo Info { get; }

    /// <summary>Executes <paramref name="output"/>.</summary>
    /// <returns>One sampled token per scheduled sequence with <see cref="ScheduledSequence.Sample"/> set.</returns>
    /// <exception cref="ModelRunnerException">The batch could not be computed; no sequence in it advanced.</exception>
    RunnerOutput Execute(SchedulerOutput output);

    /// <summary>Drops the KV and sampler of sequences that ended or were preempted.</summary>
    void Release(IReadOnlyList<ReleasedSequence> released);

    /// <summary>Positions llama.cpp holds for <paramref name="slot"/> as (min, max); (-1, -1) when none.</summary>
    (int Min, int Max) GetSlotPositions(int slot);
}
