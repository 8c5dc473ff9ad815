using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine;

/// <summary>A message to the engine thread through its inbox.</summary>
internal abstract record EngineCommand
{
    /// <summary>Queue a new sequence (and the other choices of its request, as forks) whose results go to <paramref name="Results"/>.</summary>
    internal sealed record Add(Sequence Sequence, IReadOnlyList<Sequence> Forks, ChannelWriter<StepResult> Results) : EngineCommand;

    /// <summary>Cancel a sequence; its blocks return to the pool in the engine's next iteration.</summary>
    internal sealed record Abort(long SequenceId) : EngineCommand;

    /// <summary>Cancel every live sequence (end of a graceful drain).</summary>
    internal sealed record AbortAll : EngineCommand;

    /// <summary>Capture a <see cref="KvCache.KvCacheSnapshot"/> between steps; null once the engine has stopped.</summary>
    internal sealed record Snapshot(TaskCompletionSource<KvCache.KvCacheSnapshot?> Reply) : EngineCommand;
}
