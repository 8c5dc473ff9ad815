using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;

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

    /// <summary>The request field that set <see cref="SamplingParams.Grammar"/> (grammar or response_format), for error messages.</summary>
    public string? GrammarParam { get; init; }

    /// <summary>Functions the model may call (<c>tools</c>); empty when none are given.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary><c>tool_choice</c>; <see cref="ToolChoice.None"/> without tools, <see cref="ToolChoice.Auto"/> by default with them.</summary>
    public ToolChoice ToolChoice { get; init; } = ToolChoice.None;

    /// <summary><c>parallel_tool_calls</c>: false keeps only the first call of a reply.</summary>
    public bool ParallelToolCalls { get; init; } = true;

    /// <summary><c>reasoning_effort</c> as given; <c>"none"</c> turns thinking off where the template reads <c>enable_thinking</c>.</summary>
    public string? ReasoningEffort { get; init; }

    /// <summary>The request field that set <see cref="MaxTokens"/> (max_tokens or max_completion_tokens), for error messages.</summary>
    public string MaxTokensParam { get; init; } = "max_tokens";
}
