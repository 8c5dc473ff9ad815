namespace InferenceServer.Bench;

internal enum SoakStatus
{
    Completed,
    /// <summary>The client hung up on purpose (its disconnect plan), before the response was complete.</summary>
    Disconnected,
    Failed,
}

/// <summary>What one soak request got back: the text and finish reason of every choice so far, usage and timings.</summary>
/// <param name="Status">Completed, hung up on purpose, or failed.</param>
/// <param name="Texts">Text received per choice (a prefix of the full text when the client hung up).</param>
/// <param name="FinishReasons">Finish reason per choice; null for a choice that has not finished.</param>
/// <param name="TtftMs">Arrival of the first content; NaN if none came.</param>
/// <param name="E2eMs">Time from sending to the end of the response (or to hanging up).</param>
/// <param name="Retries">Connections that failed before any response byte and were retried (<see cref="BenchHttp.SendAsync"/>).</param>
internal sealed record SoakOutcome(SoakStatus Status, string[] Texts, string?[] FinishReasons, double TtftMs, double E2eMs, int Retries)
{
    /// <summary>For failures: HTTP status and error code, stream error event code, or transport or protocol failure.</summary>
    public string? ErrorKind { get; init; }
    public string? ErrorMessage { get; init; }
    public int PromptTokens { get; init; }
    public int CachedTokens { get; init; }
    public int CompletionTokens { get; init; }

    public bool SawContent => Texts.Any(t => t.Length > 0);
}
