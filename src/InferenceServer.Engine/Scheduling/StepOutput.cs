namespace InferenceServer.Engine.Scheduling;

/// <summary>What one engine step did: its plan, and one output per request with news.</summary>
/// <param name="Plan">The scheduler's plan (what was computed, who was preempted, the KV changes the runner applied).</param>
/// <param name="Outputs">One output per request that got a token or ended in this step.</param>
public sealed record StepOutput(SchedulerOutput Plan, IReadOnlyList<RequestOutput> Outputs)
{
    /// <summary>Every choice's result of the step, request by request.</summary>
    public IEnumerable<StepResult> Results => Outputs.SelectMany(o => o.Results);
}
