using System.Diagnostics;

namespace InferenceServer.Bench;

/// <summary>One request's timings.</summary>
/// <param name="TtftMs">Time to first token, ms.</param>
/// <param name="E2eMs">Time to the last byte of the response, ms.</param>
/// <param name="OutputTokens">Tokens generated.</param>
/// <param name="TokenTimestamps">
/// When each chunk with text arrived (<see cref="Stopwatch.GetTimestamp"/> ticks), for targets that stream; null
/// otherwise. <see cref="LevelResult.SteadyTpot"/> reads them.
/// </param>
internal readonly record struct RequestTiming(double TtftMs, double E2eMs, int OutputTokens, long[]? TokenTimestamps = null)
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

    /// <summary>
    /// TPOT in steady state: per request, the mean gap between its tokens that arrived after every request of the
    /// level had its first token and before any request ended, so no prompt is being prefilled in the steps measured.
    /// Null when the target does not report token arrivals or the level has no such window (ms).
    /// </summary>
    public LatencyStats? SteadyTpot
    {
        get
        {
            if (Requests.Count == 0 || Requests.Any(r => r.TokenTimestamps is not { Length: > 0 }))
                return null;
            long from = Requests.Max(r => r.TokenTimestamps![0]), to = Requests.Min(r => r.TokenTimestamps![^1]);
            var stats = new LatencyStats();
            foreach (var r in Requests)
            {
                var inside = r.TokenTimestamps!.Where(t => t >= from && t <= to).ToArray();
                if (inside.Length >= 2)
                    stats.RecordMs(Stopwatch.GetElapsedTime(inside[0], inside[^1]).TotalMilliseconds / (inside.Length - 1));
            }
            return stats.Count == 0 ? null : stats;
        }
    }
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
