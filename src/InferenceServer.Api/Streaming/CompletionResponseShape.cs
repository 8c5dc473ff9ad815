using System.Text.Json;
using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Streaming;

/// <summary><c>text_completion</c> objects of one request (whole response and stream chunks), sharing one id.</summary>
public sealed class CompletionResponseShape(string model, long created) : IResponseShape
{
    /// <inheritdoc />
    public string Id { get; } = "cmpl-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public string? FirstChunk() => null;

    /// <inheritdoc />
    public string ContentChunk(string text) => Serialize([new CompletionChoice(0, text, null)]);

    /// <inheritdoc />
    public string FinishChunk(string text, string finishReason) => Serialize([new CompletionChoice(0, text, finishReason)]);

    /// <inheritdoc />
    public string UsageChunk(Usage usage) => Serialize([], usage);

    /// <inheritdoc />
    public string Full(string text, string finishReason, Usage usage) => Serialize([new CompletionChoice(0, text, finishReason)], usage);

    private string Serialize(IReadOnlyList<CompletionChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new CompletionResponse(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.CompletionResponse);
}
