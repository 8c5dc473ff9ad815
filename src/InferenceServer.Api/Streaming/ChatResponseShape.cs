using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;

namespace InferenceServer.Api.Streaming;

/// <summary><c>chat.completion</c> and <c>chat.completion.chunk</c> objects of one request, sharing one id.</summary>
public sealed class ChatResponseShape(string model, long created) : IResponseShape<ChatCompletionResponse>
{
    /// <inheritdoc />
    public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public string? FirstChunk(int index) => Chunk([new ChatChunkChoice(index, new ChatDelta { Role = "assistant", Content = "" }, null)]);

    /// <inheritdoc />
    public string EventChunk(GenerationEvent e)
    {
        bool other = e.Reasoning.Length > 0 || e.ToolCalls.Count > 0;
        var delta = new ChatDelta
        {
            // A chunk that carries only logprobs still has its (empty) content, as before tool calls existed.
            Content = e.Text.Length > 0 || (!other && e.FinishReason is null) ? e.Text : null,
            ReasoningContent = e.Reasoning.Length > 0 ? e.Reasoning : null,
            ToolCalls = e.ToolCalls.Count == 0 ? null : e.ToolCalls.Select(c => new ToolCallChunk(c.Index,
                new ToolCallFunctionChunk(c.Arguments) { Name = c.Name }) { Id = c.Id, Type = c.Id is null ? null : "function" }).ToList(),
        };
        return Chunk([new ChatChunkChoice(e.ChoiceIndex, delta, e.WireFinishReason) { Logprobs = ChatLogprobs.From(e.Logprobs) }]);
    }

    /// <inheritdoc />
    public string UsageChunk(Usage usage) => Chunk([], usage);

    /// <inheritdoc />
    public ChatCompletionResponse Full(IReadOnlyList<ChoiceReply> choices, Usage usage) =>
        new(Id, created, model, choices.Select((c, i) =>
            new ChatChoice(i, Message(c), c.FinishReason!) { Logprobs = ChatLogprobs.From(c.Logprobs) }).ToList(), usage);

    /// <inheritdoc />
    public JsonTypeInfo<ChatCompletionResponse> ResponseJson => ApiJsonContext.Wire.ChatCompletionResponse;

    // Content is null when the reply is only tool calls (blanks around them aside), as OpenAI sends it.
    private static AssistantMessage Message(ChoiceReply c)
    {
        var calls = c.ToolCalls;
        string content = c.Content;
        return new AssistantMessage(calls.Count > 0 && string.IsNullOrWhiteSpace(content) ? null : content)
        {
            ReasoningContent = c.Reasoning,
            ToolCalls = calls.Count == 0 ? null : calls.Select(t => new ToolCall(t.Id, new ToolCallFunction(t.Name, t.Arguments))).ToList(),
        };
    }

    private string Chunk(IReadOnlyList<ChatChunkChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new ChatCompletionChunk(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.ChatCompletionChunk);
}
