using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Streaming;

/// <summary><c>text_completion</c> objects of one request (whole response and stream chunks), sharing one id.</summary>
public sealed class CompletionResponseShape(string model, long created) : IResponseShape<CompletionResponse>
{
    /// <inheritdoc />
    public string Id { get; } = "cmpl-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public string? FirstChunk(int index) => null;

    /// <inheritdoc />
    public IEnumerable<string> EventChunks(GenerationEvent e) =>
        [Serialize([new CompletionChoice(e.ChoiceIndex, e.Text, e.WireFinishReason) { Logprobs = CompletionLogprobs.From(e.Logprobs) }])];

    /// <inheritdoc />
    public string UsageChunk(Usage usage) => Serialize([], usage);

    /// <inheritdoc />
    public CompletionResponse Full(IReadOnlyList<ChoiceReply> choices, Usage usage) =>
        new(Id, created, model, choices.Select((c, i) => new CompletionChoice(i, c.Content, c.FinishReason!) { Logprobs = CompletionLogprobs.From(c.Logprobs) })
            .ToList()) { Usage = usage };

    /// <inheritdoc />
    public JsonTypeInfo<CompletionResponse> ResponseJson => ApiJsonContext.Wire.CompletionResponse;

    private string Serialize(IReadOnlyList<CompletionChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new CompletionResponse(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.CompletionResponse);
}
