using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>A parsed <c>POST /v1/chat/completions</c> request (OpenAI schema CreateChatCompletionRequest).</summary>
/// <param name="Model">Requested model id.</param>
/// <param name="Messages">The conversation, at least one message.</param>
/// <param name="Sampling">Sampling settings; <see cref="SamplingParams.Logprobs"/> from <c>logprobs</c> and <c>top_logprobs</c>.</param>
/// <param name="MaxTokens">max_completion_tokens (or max_tokens), or null for "up to the context limit".</param>
/// <param name="Stop">Up to 4 stop strings.</param>
/// <param name="Stream">Stream Server-Sent Events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c>.</param>
/// <param name="N">Number of choices.</param>
public sealed record ChatCompletionRequest(
    string Model, IReadOnlyList<ChatMessage> Messages, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop, bool Stream,
    bool IncludeUsage, int N = 1)
    : GenerationRequest(Model, Sampling, MaxTokens, Stop, Stream, IncludeUsage, N)
{
    /// <inheritdoc />
    public override string PromptParam => "messages";

    /// <summary>
    /// Extra variables for the model's chat template: the entries of <c>chat_template_kwargs</c> and
    /// <c>reasoning_effort</c>; null when the request sets none.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; init; }

    /// <summary>Functions the model may call (<c>tools</c>); empty when none are given.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary><c>tool_choice</c>; <see cref="ToolChoice.None"/> without tools, <see cref="ToolChoice.Auto"/> by default with them.</summary>
    public ToolChoice ToolChoice { get; init; } = ToolChoice.None;

    /// <summary><c>parallel_tool_calls</c>: false keeps only the first call of a reply.</summary>
    public bool ParallelToolCalls { get; init; } = true;

    /// <summary><c>reasoning_effort</c> as given; <c>"none"</c> turns thinking off where the template reads <c>enable_thinking</c>.</summary>
    public string? ReasoningEffort { get; init; }
}
