namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// A request's news from one step (or from an abort between steps): one result per live choice that got a token or
/// ended, tagged with its choice index, and whether the request is over. The engine emits at most one per request per step.
/// </summary>
/// <param name="RequestId">The request.</param>
/// <param name="Results">Per-choice results, in the order the engine produced them.</param>
/// <param name="Finished">True when no choice of the request runs any more: this is its last output.</param>
public sealed record RequestOutput(long RequestId, IReadOnlyList<StepResult> Results, bool Finished);
