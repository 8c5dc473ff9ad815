using System.Text.Json;
using InferenceServer.Api.Contracts;

namespace InferenceServer.Api.Streaming;

/// <summary><c>chat.completion</c> and <c>chat.completion.chunk</c> objects of one request, sharing one id.</summary>
public sealed class ChatResponseShape(string model, long created) : IResponseShape
{
    /// <inheritdoc />
    public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public string? FirstChunk() => Chunk([new ChatChunkChoice(0, new ChatDelta { Role = "assistant", Content = "" }, null)]);

    /// <inheritdoc />
    public string ContentChunk(string text) => Chunk([new ChatChunkChoice(0, new ChatDelta { Content = text }, null)]);

    /// <inheritdoc />
    public string FinishChunk(string text, string finishReason) =>
        Chunk([new ChatChunkChoice(0, new ChatDelta { Content = text.Length > 0 ? text : null }, finishReason)]);

    /// <inheritdoc />
    public string UsageChunk(Usage usage) => Chunk([], usage);

    /// <inheritdoc />
    public string Full(string text, string finishReason, Usage usage) => JsonSerializer.Serialize(
        new ChatCompletionResponse(Id, created, model, [new ChatChoice(0, new AssistantMessage(text), finishReason)], usage),
        ApiJsonContext.Wire.ChatCompletionResponse);

    private string Chunk(IReadOnlyList<ChatChunkChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new ChatCompletionChunk(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.ChatCompletionChunk);
}
