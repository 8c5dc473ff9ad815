using InferenceServer.Api.Generation;
using InferenceServer.Api.Output;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Serving;

/// <summary>A request the <see cref="InputProcessor"/> made ready for the engine; every check has passed.</summary>
/// <param name="Request">The parsed request.</param>
/// <param name="PromptTokenIds">The prompt as token ids (chat: the rendered chat template).</param>
/// <param name="Sampling">Final sampling settings: the grammar the reply follows and a resolved <see cref="SamplingParams.MaxTokens"/>.</param>
/// <param name="Parsing">How the output processor splits the reply into reasoning, content and tool calls.</param>
internal sealed record ProcessedRequest(
    GenerationRequest Request, IReadOnlyList<int> PromptTokenIds, SamplingParams Sampling, OutputParsing Parsing);
