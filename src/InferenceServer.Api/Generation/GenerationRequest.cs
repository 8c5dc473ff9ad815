using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>A parsed and validated generation request: the fields chat completions and completions share.</summary>
/// <param name="Model">Requested model id.</param>
/// <param name="Sampling">Sampling settings; <see cref="SamplingParams.MaxTokens"/> is final only when <paramref name="MaxTokens"/> is set.</param>
/// <param name="MaxTokens">max_tokens / max_completion_tokens, or null for "up to the context limit".</param>
/// <param name="Stop">Up to 4 stop strings; the text before a match is returned, the match is not.</param>
/// <param name="Stream">Stream Server-Sent Events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c>.</param>
/// <param name="N">Number of choices (OpenAI <c>n</c>).</param>
public abstract record GenerationRequest(
    string Model, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop, bool Stream, bool IncludeUsage, int N)
{
    /// <summary>The request field that holds the prompt (<c>messages</c> or <c>prompt</c>), for error messages.</summary>
    public abstract string PromptParam { get; }

    /// <summary>The request field that set <see cref="SamplingParams.Grammar"/> (grammar or response_format), for error messages.</summary>
    public string? GrammarParam { get; init; }

    /// <summary>The request field that set <see cref="MaxTokens"/> (max_tokens or max_completion_tokens), for error messages.</summary>
    public string MaxTokensParam { get; init; } = "max_tokens";
}
