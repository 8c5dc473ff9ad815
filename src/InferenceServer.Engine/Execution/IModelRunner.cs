using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine.Execution;

/// <summary>
/// Runs one step on the model: applies the step's KV events, copies reused prefix-cache blocks into their
/// sequences, feeds every scheduled token as one batch (one llama.cpp decode), and samples a token for each
/// sequence that asked for one.
/// Called only from the engine thread.
/// </summary>
public interface IModelRunner : IDisposable
{
    /// <summary>What the engine needs to know about the model.</summary>
    ModelInfo Info { get; }

    /// <summary>
    /// Executes <paramref name="output"/>. First it applies <see cref="SchedulerOutput.Events"/> in order — the only way
    /// KV changes reach the runner, also when nothing is scheduled: drops evicted blocks, keeps newly cached ones, drops
    /// released sequences' KV but the cells a stream retains (and their samplers when finished), trims free streams'
    /// retained cells, and copies running streams into free ones.
    /// </summary>
    /// <returns>One sampled token per scheduled sequence with <see cref="ScheduledSequence.Sample"/> set.</returns>
    /// <exception cref="ModelRunnerException">The batch could not be computed; no sequence in it advanced.</exception>
    RunnerOutput Execute(SchedulerOutput output);

    /// <summary>
    /// Makes the model's memory match <paramref name="books"/> after a failure: drops every cell no running sequence,
    /// retaining free stream or cached block accounts for, and sampler state of sequences no longer live.
    /// </summary>
    /// <returns>Cached blocks whose cells the runner does not hold; the books must stop offering them as hits.</returns>
    IReadOnlyList<int> Reconcile(KvBooks books);
}
