namespace InferenceServer.Engine;

/// <summary>A snapshot of the engine's books, computed by the engine thread between two steps when asked (see <see cref="EngineClient.Stats"/>).</summary>
/// <param name="Ready">The model is loaded, the engine loop runs and requests are taken (false while draining).</param>
/// <param name="NumRunning">Sequences holding blocks.</param>
/// <param name="NumWaiting">Sequences waiting for admission, preempted ones included.</param>
/// <param name="NumBlocks">Blocks in the KV pool.</param>
/// <param name="NumFreeBlocks">Blocks held by no sequence, idle cached ones included (they are evicted on demand).</param>
/// <param name="NumCachedBlocks">Blocks in the prefix cache, held by sequences or idle.</param>
/// <param name="NumCachedIdleBlocks">Cached blocks no sequence holds: free, and reusable until evicted (state <c>cached_idle</c>
/// of <c>/v1/engine/kv</c>).</param>
/// <param name="BlockSize">Tokens per block.</param>
/// <param name="NumPreemptions">Preemptions since start.</param>
/// <param name="NumPromptTokens">Prompt tokens of requests since start.</param>
/// <param name="NumCachedPromptTokens">Prompt tokens served from the prefix cache since start.</param>
/// <param name="NumGeneratedTokens">Tokens sampled since start.</param>
/// <param name="NumEvictions">Cached blocks evicted since start.</param>
/// <param name="NumSteps">Engine steps since start.</param>
/// <param name="KvCache">KV cache type and size; null before the model is loaded.</param>
/// <param name="StepTimes">Engine-thread time spent in each phase of a step since start; null before the first step.</param>
/// <param name="NumFailedSteps">Steps whose batch the model failed to compute at first and that went through recovery
/// (reconcile, retry, sequences alone) since start.</param>
public sealed record EngineStats(
    bool Ready, int NumRunning, int NumWaiting, int NumBlocks, int NumFreeBlocks, int NumCachedBlocks, int NumCachedIdleBlocks,
    int BlockSize,
    long NumPreemptions, long NumPromptTokens, long NumCachedPromptTokens, long NumGeneratedTokens, long NumEvictions, long NumSteps,
    KvCacheReport? KvCache = null, StepTimes? StepTimes = null, long NumFailedSteps = 0)
{
    /// <summary>Stats of an engine whose model is not loaded yet.</summary>
    public static EngineStats NotReady { get; } = new(false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Blocks held by at least one sequence.</summary>
    public int NumUsedBlocks => NumBlocks - NumFreeBlocks;

    /// <summary>Free blocks holding nothing reusable.</summary>
    public int NumEmptyBlocks => NumFreeBlocks - NumCachedIdleBlocks;

    /// <summary>Prefix cache hit rate: cached prompt tokens / prompt tokens (0 before any request).</summary>
    public double PrefixCacheHitRate => NumPromptTokens == 0 ? 0 : (double)NumCachedPromptTokens / NumPromptTokens;
}

/// <summary>KV cache facts for the stats endpoint.</summary>
/// <param name="Type">Element type: f16, q8_0 or q4_0.</param>
/// <param name="BytesPerToken">2 × layers × KV heads × head size × bytes per element.</param>
/// <param name="TotalBytes">BytesPerToken × NumBlocks × BlockSize.</param>
/// <param name="GqaRatio">Query heads / KV heads.</param>
public sealed record KvCacheReport(string Type, double BytesPerToken, long TotalBytes, double GqaRatio)
{
    /// <summary>The report of <paramref name="shape"/>.</summary>
    public static KvCacheReport From(Execution.KvCacheShape shape) =>
        new(shape.Type.ToString().ToLowerInvariant(), shape.BytesPerToken, shape.TotalBytes, shape.GqaRatio);
}

/// <summary>
/// Cumulative engine-thread time per step phase since start, in milliseconds: a step profile. Divide by
/// <see cref="EngineStats.NumSteps"/> (or differences of both between two snapshots) for ms per step; wall time not
/// covered by the three phases is time the engine thread waited for work.
/// </summary>
/// <param name="ScheduleMs">Scheduler.Schedule: admission, preemption, block allocation.</param>
/// <param name="ExecuteMs">The model runner: the plan's KV changes, one llama_decode over the batch, sampling.</param>
/// <param name="UpdateMs">Scheduler.Update: tokens appended, finished sequences freed, one output per request.</param>
/// <param name="ForwardMs">Of <paramref name="ExecuteMs"/>, the model's forward passes (llama_decode), as the runner reports them.</param>
/// <param name="SampleMs">Of <paramref name="ExecuteMs"/>, drawing tokens from the logits, as the runner reports them.</param>
public sealed record StepTimes(double ScheduleMs, double ExecuteMs, double UpdateMs, double ForwardMs, double SampleMs);
