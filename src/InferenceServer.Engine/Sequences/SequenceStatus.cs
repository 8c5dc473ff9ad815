namespace InferenceServer.Engine.Sequences;

/// <summary>Lifecycle of a <see cref="Sequence"/>. Transitions live in <see cref="Sequence"/> methods only.</summary>
public enum SequenceStatus
{
    /// <summary>Queued for admission; holds no blocks.</summary>
    Waiting,
    /// <summary>Admitted: holds blocks and a KV stream.</summary>
    Running,
    /// <summary>Lost its blocks to a preemption; waits at the head of the queue to be recomputed.</summary>
    Preempted,
    /// <summary>
    /// Ended on an end-of-generation token. A stop string is matched on the text outside the engine, which then cancels
    /// the sequence (<see cref="FinishedAborted"/>) and reports <c>stop</c> itself.
    /// </summary>
    FinishedStopped,
    /// <summary>Ended on max_tokens or the context limit.</summary>
    FinishedLength,
    /// <summary>Cancelled by its client or the server.</summary>
    FinishedAborted,
    /// <summary>Ended because the model runner failed while computing it.</summary>
    FinishedError,
}
