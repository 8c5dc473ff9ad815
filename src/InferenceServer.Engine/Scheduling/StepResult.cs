using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

/// <summary>
/// A sequence's news from one step: a new token and/or the end of the sequence.
/// </summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="TokenId">Sampled token, or null when the sequence ended without one (abort, error).</param>
/// <param name="IsEndOfGeneration">The token is an end-of-generation token: count it, show no text for it.</param>
/// <param name="FinishReason">Set on the sequence's last result.</param>
/// <param name="NumPromptTokens">Prompt length in tokens.</param>
/// <param name="NumOutputTokens">Tokens generated so far, this one included.</param>
/// <param name="NumCachedTokens">Prompt tokens served from the prefix cache.</param>
/// <param name="Error">Why the sequence failed, when <paramref name="FinishReason"/> is Error.</param>
/// <param name="ChoiceIndex">Which of the request's choices the sequence produces.</param>
/// <param name="QueueTime">Arrival to first admission; null while it never ran.</param>
/// <param name="Logprobs">Log probabilities of <paramref name="TokenId"/>, when the sequence asked for them.</param>
public sealed record StepResult(
    long SequenceId, int? TokenId, bool IsEndOfGeneration, FinishReason? FinishReason,
    int NumPromptTokens, int NumOutputTokens, int NumCachedTokens = 0, string? Error = null, int ChoiceIndex = 0,
    TimeSpan? QueueTime = null, Execution.TokenLogprobs? Logprobs = null);
