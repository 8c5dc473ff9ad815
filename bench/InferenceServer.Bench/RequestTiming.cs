namespace InferenceServer.Bench;

/// <summary>One request's timings: time to first token, end to end, and tokens generated.</summary>
internal readonly record struct RequestTiming(double TtftMs, double E2eMs, int OutputTokens)
{
    /// <summary>Mean time per output token after the first (TPOT), in ms; NaN with fewer than two tokens.</summary>
    public double TpotMs => OutputTokens > 1 ? (E2eMs - TtftMs) / (OutputTokens - 1) : double.NaN;
}

/// <summary>One concurrency level of one target: every finished request's timing and the wall time of the level.</summary>
internal sealed class LevelResult(string target, int concurrency, IReadOnlyList<RequestTiming> requests, double wallSeconds)
{
    public string Target { get; } = target;
    public int Concurrency { get; } = concurrency;
    public IReadOnlyList<RequestTiming> Requests { get; } = requests;
    public double WallSeconds { get; } = wallSeconds;

    /// <summary>Steps the target took over the level (engine steps; llama_decode calls for llama-server); null if it reports none.</summary>
    public long? NumSteps { get; init; }

    /// <summary>
    /// Why the level stopped before every request finished, with what it measured ("not finished after 10 min (3 of 32
    /// requests done, 812 steps)"); null for a complete level. The statistics of an unfinished level are not comparable.
    /// </summary>
    public string? Unfinished { get; init; }
    /// <summary>NaN for an unfinished level, whose wall time is its limit rather than its requests'.</summary>
    public double OutputTokensPerSecond => Unfinished is null ? Requests.Sum(r => r.OutputTokens) / WallSeconds : double.NaN;
    public double RequestsPerSecond => Unfinished is null ? Requests.Count / WallSeconds : double.NaN;

    public LatencyStats Ttft => Stats(r => r.TtftMs);
    public LatencyStats Tpot => Stats(r => r.TpotMs);
    public LatencyStats E2e => Stats(r => r.E2eMs);

    private LatencyStats Stats(Func<RequestTiming, double> select)
    {
        var stats = new LatencyStats();
        foreach (var r in Requests)
            if (!double.IsNaN(select(r)))
                stats.RecordMs(select(r));
        return stats;
    }
}

/// <summary>Something that serves generation requests: this server over HTTP, the engine in-process, a naive server.</summary>
internal interface ILoadTarget : IAsyncDisposable
{
    string Name { get; }
    /// <summary>Runs one request of <paramref name="prompt"/> generating exactly <paramref name="outputTokens"/> tokens.</summary>
    Task<RequestTiming> RunAsync(int[] prompt, int outputTokens, CancellationToken cancellationToken);

    /// <summary>Steps the target has taken since it started, if it reports them.</summary>
    Task<long?> ReadNumStepsAsync() => Task.FromResult<long?>(null);
}
