namespace InferenceServer.Bench;

/// <summary>
/// The soak's counts, shared by all clients: requests by kind and outcome, tokens, finish reasons, latencies,
/// errors by kind (with the first few requests that failed, for a repro) and deterministic comparisons.
/// </summary>
internal sealed class SoakTally
{
    private const int MaxExamples = 5;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int[]> _kinds = [];
    private readonly Dictionary<string, int> _errors = [];
    private readonly Dictionary<string, int> _finishReasons = [];

    public List<(string Phase, SoakRequest Request, SoakOutcome Outcome)> ErrorExamples { get; } = [];
    public List<SoakMismatch> Mismatches { get; } = [];
    public LatencyStats Ttft { get; } = new();
    public LatencyStats E2e { get; } = new();
    public int NumSent { get; private set; }
    public int NumCompleted { get; private set; }
    public int NumFailed { get; private set; }
    public int NumDisconnectedBeforeFirstToken { get; private set; }
    public int NumDisconnectedMidStream { get; private set; }
    public int NumRetries { get; private set; }
    public int NumCompared { get; private set; }
    public int NumComparedPrefixes { get; private set; }
    public int NumMismatches { get; private set; }
    public long NumPromptTokens { get; private set; }
    public long NumCachedTokens { get; private set; }
    public long NumCompletionTokens { get; private set; }

    /// <summary>Counts of requests by kind: sent, completed, disconnected on purpose, failed.</summary>
    public IReadOnlyList<(string Kind, int[] Counts)> Kinds
    {
        get { lock (_lock) return [.. SoakKinds.Order.Where(_kinds.ContainsKey).Select(k => (k, _kinds[k].ToArray()))]; }
    }

    public IReadOnlyList<(string Kind, int Count)> Errors
    {
        get { lock (_lock) return [.. _errors.OrderByDescending(e => e.Value).Select(e => (e.Key, e.Value))]; }
    }

    public IReadOnlyList<(string Reason, int Count)> FinishReasons
    {
        get { lock (_lock) return [.. _finishReasons.OrderBy(f => f.Key).Select(f => (f.Key, f.Value))]; }
    }

    /// <summary>Counts one request of the load phase.</summary>
    public void Record(SoakRequest request, SoakOutcome outcome)
    {
        lock (_lock)
        {
            NumSent++;
            NumRetries += outcome.Retries;
            int column = (int)outcome.Status + 1;
            foreach (string kind in request.Kinds)
            {
                var counts = _kinds.TryGetValue(kind, out var c) ? c : _kinds[kind] = new int[4];
                counts[0]++;
                counts[column]++;
            }
            switch (outcome.Status)
            {
                case SoakStatus.Completed:
                    NumCompleted++;
                    CountCompleted(outcome);
                    break;
                case SoakStatus.Disconnected when outcome.SawContent:
                    NumDisconnectedMidStream++;
                    break;
                case SoakStatus.Disconnected:
                    NumDisconnectedBeforeFirstToken++;
                    break;
            }
        }
        if (outcome.Status == SoakStatus.Failed)
            RecordError("load", request, outcome);
    }

    /// <summary>Counts a failure of any phase (load, solo reference, solo after the soak).</summary>
    public void RecordError(string phase, SoakRequest request, SoakOutcome outcome)
    {
        lock (_lock)
        {
            NumFailed++;
            string kind = outcome.ErrorKind ?? "unknown";
            _errors[kind] = _errors.GetValueOrDefault(kind) + 1;
            if (ErrorExamples.Count < MaxExamples)
                ErrorExamples.Add((phase, request, outcome));
        }
    }

    /// <summary>Counts one comparison with a solo reference; keeps the first few mismatches.</summary>
    public void RecordComparison(bool prefixOnly, SoakMismatch? mismatch)
    {
        lock (_lock)
        {
            NumCompared++;
            if (prefixOnly)
                NumComparedPrefixes++;
            if (mismatch is null)
                return;
            NumMismatches++;
            // The same request tends to diverge the same way each time it is sent: keep distinct examples.
            if (Mismatches.Count < MaxExamples && !Mismatches.Any(m => m.PoolIndex == mismatch.PoolIndex && m.Phase == mismatch.Phase
                    && m.Choice == mismatch.Choice && m.Offset == mismatch.Offset && m.Actual == mismatch.Actual))
                Mismatches.Add(mismatch);
        }
    }

    private void CountCompleted(SoakOutcome outcome)
    {
        NumPromptTokens += outcome.PromptTokens;
        NumCachedTokens += outcome.CachedTokens;
        NumCompletionTokens += outcome.CompletionTokens;
        foreach (string? reason in outcome.FinishReasons)
            _finishReasons[reason ?? "null"] = _finishReasons.GetValueOrDefault(reason ?? "null") + 1;
        if (!double.IsNaN(outcome.TtftMs))
            Ttft.RecordMs(outcome.TtftMs);
        E2e.RecordMs(outcome.E2eMs);
    }
}
