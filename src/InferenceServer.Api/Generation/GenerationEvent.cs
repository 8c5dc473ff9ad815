using InferenceServer.Api.Output;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>A piece of one choice's generated text; the last event of each choice carries its finish reason.</summary>
/// <param name="ChoiceIndex">Which choice (0 … n − 1).</param>
/// <param name="Text">New content text (valid UTF-8, possibly empty); reasoning and tool-call markup are not in it.</param>
/// <param name="FinishReason">Set on the choice's last event.</param>
/// <param name="NumPromptTokens">Prompt tokens (shared by all choices).</param>
/// <param name="NumCompletionTokens">Tokens this choice generated so far.</param>
/// <param name="NumCachedTokens">Prompt tokens served from the prefix cache.</param>
/// <param name="QueueTime">Arrival to first admission by the scheduler.</param>
/// <param name="Logprobs">The tokens whose text <paramref name="Text"/> completes, when the request asked for logprobs; else null.</param>
public sealed record GenerationEvent(
    int ChoiceIndex, string Text, FinishReason? FinishReason, int NumPromptTokens, int NumCompletionTokens, int NumCachedTokens = 0,
    TimeSpan? QueueTime = null, IReadOnlyList<OutputLogprob>? Logprobs = null)
{
    /// <summary>New reasoning text (<c>reasoning_content</c>).</summary>
    public string Reasoning { get; init; } = "";

    /// <summary>New tool-call pieces.</summary>
    public IReadOnlyList<ToolCallDelta> ToolCalls { get; init; } = [];

    /// <summary>Tokens of this choice so far that were reasoning.</summary>
    public int NumReasoningTokens { get; init; }

    /// <summary>Tool calls this choice made so far.</summary>
    public int NumToolCalls { get; init; }

    /// <summary>A stop string ended the choice (its finish reason is <c>stop</c>, never <c>tool_calls</c>).</summary>
    public bool EndedByStopString { get; init; }

    /// <summary>True when the event carries anything for the client besides a finish reason.</summary>
    public bool HasOutput => Text.Length > 0 || Reasoning.Length > 0 || ToolCalls.Count > 0 || Logprobs is not null;

    /// <summary>
    /// The OpenAI finish reason: <c>tool_calls</c> when the model ended its reply after making calls (not when
    /// <c>max_tokens</c> or a stop string cut it: <c>length</c>, <c>stop</c>); null before the end.
    /// </summary>
    public string? WireFinishReason => FinishReason is not { } finish ? null
        : finish == Engine.Sequences.FinishReason.Stop && NumToolCalls > 0 && !EndedByStopString ? "tool_calls" : finish.ToWireName();
}
