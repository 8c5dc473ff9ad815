namespace InferenceServer.Api.Contracts;

/// <summary>Token counts of a request (schema CompletionUsage).</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
    /// <summary>Prompt breakdown: tokens served from the prefix cache.</summary>
    public PromptTokensDetails PromptTokensDetails { get; init; } = new(0);
    /// <summary>Completion breakdown: tokens the model spent reasoning (inside its thinking block).</summary>
    public CompletionTokensDetails CompletionTokensDetails { get; init; } = new(0);
}

/// <summary>Breakdown of completion tokens.</summary>
public sealed record CompletionTokensDetails(int ReasoningTokens);

/// <summary>Breakdown of prompt tokens.</summary>
public sealed record PromptTokensDetails(int CachedTokens);
