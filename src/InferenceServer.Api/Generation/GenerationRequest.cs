using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp;

namespace InferenceServer.Api.Generation;

/// <summary>A validated chat or completion request.</summary>
/// <param name="Model">Requested model id.</param>
/// <param name="Messages">Chat messages (chat completions), else null.</param>
/// <param name="Prompt">Prompt text (completions), else null.</param>
/// <param name="Sampling">Sampling settings; <see cref="SamplingParams.MaxTokens"/> is final only when <paramref name="MaxTokens"/> is set.</param>
/// <param name="MaxTokens">max_tokens / max_completion_tokens, or null for "up to the context limit".</param>
/// <param name="Stop">Up to 4 stop strings; the text before a match is returned, the match is not.</param>
/// <param name="Stream">Stream Server-Sent Events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c>.</param>
/// <param name="N">Number of choices (OpenAI <c>n</c>).</param>
public sealed record GenerationRequest(
    string Model, IReadOnlyList<ChatMessage>? Messages, string? Prompt, SamplingParams Sampling, int? MaxTokens,
    IReadOnlyList<string> Stop, bool Stream, bool IncludeUsage, int N = 1)
{
    /// <summary>A completions prompt given as token ids instead of text.</summary>
    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    /// <summary>
    /// Extra variables for the model's chat template: the entries of <c>chat_template_kwargs</c> and
    /// <c>reasoning_effort</c>; null when the request sets none.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; init; }

    /// <summary>The request field that set <see cref="MaxTokens"/> (max_tokens or max_completion_tokens), for error messages.</summary>
    public string MaxTokensParam { get; init; } = "max_tokens";
}
