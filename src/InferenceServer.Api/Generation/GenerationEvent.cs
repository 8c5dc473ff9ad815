using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>A piece of one choice's generated text; the last event of each choice carries its finish reason.</summary>
/// <param name="ChoiceIndex">Which choice (0 … n − 1).</param>
/// <param name="Text">New text (valid UTF-8, possibly empty).</param>
/// <param name="FinishReason">Set on the choice's last event.</param>
/// <param name="NumPromptTokens">Prompt tokens (shared by all choices).</param>
/// <param name="NumCompletionTokens">Tokens this choice generated so far.</param>
/// <param name="NumCachedTokens">Prompt tokens served from the prefix cache.</param>
/// <param name="QueueTime">Arrival to first admission by the scheduler.</param>
/// <param name="Logprobs">The tokens whose text <paramref name="Text"/> completes, when the request asked for logprobs; else null.</param>
public sealed record GenerationEvent(
    int ChoiceIndex, string Text, FinishReason? FinishReason, int NumPromptTokens, int NumCompletionTokens, int NumCachedTokens = 0,
    TimeSpan? QueueTime = null, IReadOnlyList<OutputLogprob>? Logprobs = null);
