using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Generation;

/// <summary>A parsed <c>POST /v1/completions</c> request (OpenAI schema CreateCompletionRequest); exactly one of the prompts is set.</summary>
/// <param name="Model">Requested model id.</param>
/// <param name="Prompt">The prompt text, or null when given as token ids.</param>
/// <param name="PromptTokenIds">The prompt as token ids, or null when given as text.</param>
/// <param name="Sampling">Sampling settings; <see cref="SamplingParams.Logprobs"/> from the legacy <c>logprobs</c> (0–5).</param>
/// <param name="MaxTokens">max_tokens, or null for "up to the context limit".</param>
/// <param name="Stop">Up to 4 stop strings.</param>
/// <param name="Stream">Stream Server-Sent Events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c>.</param>
/// <param name="N">Number of choices.</param>
public sealed record CompletionRequest(
    string Model, string? Prompt, IReadOnlyList<int>? PromptTokenIds, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop,
    bool Stream, bool IncludeUsage, int N = 1)
    : GenerationRequest(Model, Sampling, MaxTokens, Stop, Stream, IncludeUsage, N)
{
    /// <inheritdoc />
    public override string PromptParam => "prompt";
}
