namespace InferenceServer.Bench;

/// <summary>One request's timings: time to first token, end to end, and tokens generated.</summary>
internal readonly record struct RequestTiming(double TtftMs, double E2eMs, int OutputTokens)
{
    /// <summary>Mean time per output token after the first (TPOT), in ms; NaN with fewer than two tokens.</summary>
    public double TpotMs => OutputTokens > 1 ? (E2eMs - TtftMs) / (OutputTokens - 1) : double.NaN;
}

/// <summary>One concurrency level of one target: every request's timing and the wall time of the level.</summary>
internal sealed class LevelResult(string target, int concurrency, IReadOnlyList<RequestTiming> requests, double wallSeconds)
{
    public string Target { get; } = target;
    public int Concurrency { get; } = concurrency;
    public IReadOnlyList<RequestTiming> Requests { get; } = requests;
    public double WallSeconds { get; } = wallSeconds;
    public double OutputTokensPerSecond => Requests.Sum(r => r.OutputTokens) / WallSeconds;
    public double RequestsPerSecond => Requests.Count / WallSeconds;

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
}
