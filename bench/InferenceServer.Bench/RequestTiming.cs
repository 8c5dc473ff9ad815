using System.Diagnostics;

namespace InferenceServer.Bench;

/// <summary>One request's timings.</summary>
/// <param name="TtftMs">Time to first token, ms.</param>
/// <param name="E2eMs">Time to the last byte of the response, ms.</param>
/// <param name="OutputTokens">Tokens generated.</param>
/// <param name="StartTimestamp">When the request was sent (<see cref="Stopwatch.GetTimestamp"/> ticks); 0 when not recorded.</param>
/// <param name="TokenTimestamps">
/// When each chunk with text arrived (<see cref="Stopwatch.GetTimestamp"/> ticks), for targets that stream; null
/// otherwise. <see cref="LevelResult.SteadyTpot"/> reads them.
/// </param>
internal readonly record struct RequestTiming(double TtftMs, double E2eMs, int OutputTokens, long StartTimestamp = 0, long[]? TokenTimestamps = null)
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
    /// TPOT in steady state: per request, the mean gap between consecutive tokens of it during which no other request
    /// of the level was waiting for its first token, so no prompt was being prefilled in the steps measured. Null when
    /// the target does not report token arrivals or no request has such a gap (ms).
    /// </summary>
    public LatencyStats? SteadyTpot
    {
        get
        {
            if (Requests.Count == 0 || Requests.Any(r => r.TokenTimestamps is not { Length: > 0 } || r.StartTimestamp == 0))
                return null;
            var prefills = Requests.Select(r => (From: r.StartTimestamp, To: r.TokenTimestamps![0])).ToArray();
            var stats = new LatencyStats();
            for (int i = 0; i < Requests.Count; i++)
            {
                var t = Requests[i].TokenTimestamps!;
                long sum = 0;
                int gaps = 0;
                for (int k = 1; k < t.Length; k++)
                {
                    bool clear = true;
                    for (int j = 0; j < prefills.Length && clear; j++)
                        clear = j == i || prefills[j].To <= t[k - 1] || prefills[j].From >= t[k];
                    if (clear)
                    {
                        sum += t[k] - t[k - 1];
                        gaps++;
                    }
                }
                if (gaps > 0)
                    stats.RecordMs(sum * 1000.0 / Stopwatch.Frequency / gaps);
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
