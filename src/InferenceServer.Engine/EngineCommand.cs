using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine;

/// <summary>A message to the engine thread through its inbox.</summary>
internal abstract record EngineCommand
{
    /// <summary>Queue a new request whose outputs go to <paramref name="Outputs"/> (completed after its last one).</summary>
    internal sealed record Add(EngineRequest Request, ChannelWriter<RequestOutput> Outputs) : EngineCommand;

    /// <summary>
    /// Cancel a request (every live choice ends with finish reason Abort), or only choice <paramref name="ChoiceIndex"/>
    /// of it (no further result for that choice); blocks return to the pool in the engine's next iteration.
    /// </summary>
    internal sealed record Abort(long RequestId, int? ChoiceIndex = null) : EngineCommand;

    /// <summary>Cancel every live request (end of a graceful drain).</summary>
    internal sealed record AbortAll : EngineCommand;

    /// <summary>Compute the <see cref="EngineStats"/> between steps (the last ones once the engine has stopped).</summary>
    internal sealed record Stats(TaskCompletionSource<EngineStats> Reply) : EngineCommand;

    /// <summary>Capture a <see cref="KvCache.KvCacheSnapshot"/> between steps; null once the engine has stopped.</summary>
    internal sealed record Snapshot(TaskCompletionSource<KvCache.KvCacheSnapshot?> Reply) : EngineCommand;
}
