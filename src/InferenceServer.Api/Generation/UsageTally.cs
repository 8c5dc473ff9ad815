using InferenceServer.Api.Contracts;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Token counts of a request across its choices: the prompt counts once (it was prefilled once), completion
/// tokens add up over all choices.
/// </summary>
public sealed class UsageTally(int numChoices)
{
    private readonly int[] _completionTokens = new int[numChoices];
    private readonly int[] _reasoningTokens = new int[numChoices];
    private int _promptTokens;
    private int _cachedTokens;

    /// <summary>Finish reason of each choice; null while it runs.</summary>
    public FinishReason?[] FinishReasons { get; } = new FinishReason?[numChoices];

    /// <summary>True when every choice ended with <c>stop</c> or <c>length</c>.</summary>
    public bool AllCompleted => FinishReasons.All(f => f is FinishReason.Stop or FinishReason.Length);

    /// <summary>Takes in one event.</summary>
    public void Observe(GenerationEvent e)
    {
        _promptTokens = e.NumPromptTokens;
        _cachedTokens = Math.Max(_cachedTokens, e.NumCachedTokens);
        _completionTokens[e.ChoiceIndex] = e.NumCompletionTokens;
        _reasoningTokens[e.ChoiceIndex] = Math.Max(_reasoningTokens[e.ChoiceIndex], e.NumReasoningTokens);
        if (e.FinishReason is { } finish)
            FinishReasons[e.ChoiceIndex] = finish;
    }

    /// <summary>The OpenAI usage object.</summary>
    public Usage ToUsage() =>
        new(_promptTokens, _completionTokens.Sum())
        {
            PromptTokensDetails = new PromptTokensDetails(_cachedTokens),
            CompletionTokensDetails = new CompletionTokensDetails(_reasoningTokens.Sum()),
        };
}
