using System.Text.Json;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Streaming;

/// <summary><c>chat.completion</c> and <c>chat.completion.chunk</c> objects of one request, sharing one id.</summary>
public sealed class ChatResponseShape(string model, long created) : IResponseShape
{
    /// <inheritdoc />
    public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public string? FirstChunk(int index) => Chunk([new ChatChunkChoice(index, new ChatDelta { Role = "assistant", Content = "" }, null)]);

    /// <inheritdoc />
    public string ContentChunk(int index, string text, IReadOnlyList<OutputLogprob>? logprobs) =>
        Chunk([new ChatChunkChoice(index, new ChatDelta { Content = text }, null) { Logprobs = ChatLogprobs.From(logprobs) }]);

    /// <inheritdoc />
    public string FinishChunk(int index, string text, string finishReason, IReadOnlyList<OutputLogprob>? logprobs) =>
        Chunk([new ChatChunkChoice(index, new ChatDelta { Content = text.Length > 0 ? text : null }, finishReason)
            { Logprobs = ChatLogprobs.From(logprobs) }]);

    /// <inheritdoc />
    public string UsageChunk(Usage usage) => Chunk([], usage);

    /// <inheritdoc />
    public string Full(IReadOnlyList<(string Text, string FinishReason, IReadOnlyList<OutputLogprob>? Logprobs)> choices, Usage usage) =>
        JsonSerializer.Serialize(new ChatCompletionResponse(Id, created, model, choices.Select((c, i) =>
            new ChatChoice(i, new AssistantMessage(c.Text), c.FinishReason) { Logprobs = ChatLogprobs.From(c.Logprobs) }).ToList(), usage),
        ApiJsonContext.Wire.ChatCompletionResponse);

    private string Chunk(IReadOnlyList<ChatChunkChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new ChatCompletionChunk(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.ChatCompletionChunk);
}
