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
    /// <remarks>
    /// A call's pieces that arrive in one event (its header, then argument text) go in separate chunks, so each chunk
    /// names a call at most once and a call's first piece has empty arguments, as OpenAI streams them.
    /// </remarks>
    public IEnumerable<string> EventChunks(GenerationEvent e)
    {
        var groups = CallGroups(e.ToolCalls);
        for (int g = 0; g < groups.Count; g++)
        {
            bool first = g == 0, last = g == groups.Count - 1;
            bool other = e.Reasoning.Length > 0 || e.ToolCalls.Count > 0;
            var delta = new ChatDelta
            {
                // A chunk that carries only logprobs still has its (empty) content, as before tool calls existed.
                Content = !first ? null : e.Text.Length > 0 || (!other && e.FinishReason is null) ? e.Text : null,
                ReasoningContent = first && e.Reasoning.Length > 0 ? e.Reasoning : null,
                ToolCalls = groups[g].Count == 0 ? null : groups[g].Select(c => new ToolCallChunk(c.Index,
                    new ToolCallFunctionChunk(c.Arguments) { Name = c.Name }) { Id = c.Id, Type = c.Id is null ? null : "function" }).ToList(),
            };
            yield return Chunk([new ChatChunkChoice(e.ChoiceIndex, delta, last ? e.WireFinishReason : null)
                { Logprobs = first ? ChatLogprobs.From(e.Logprobs) : null }]);
        }
    }

    // The event's call pieces cut into runs in which no call index repeats (argument pieces of one call merge, a call's
    // header starts a run when the call is there already); one empty run when there are none.
    private static List<List<Output.ToolCallDelta>> CallGroups(IReadOnlyList<Output.ToolCallDelta> calls)
    {
        var groups = new List<List<Output.ToolCallDelta>> { new() };
        foreach (var c in calls)
        {
            var group = groups[^1];
            int at = group.FindIndex(x => x.Index == c.Index);
            if (at < 0)
                group.Add(c);
            else if (group[at].Id is null && c.Id is null)
                group[at] = group[at] with { Arguments = group[at].Arguments + c.Arguments };
            else
                groups.Add([c]);
        }
        return groups;
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
            ReasoningContent = c.Reasoning is { Length: > 0 } reasoning ? reasoning : null,
            ToolCalls = calls.Count == 0 ? null : calls.Select(t => new ToolCall(t.Id, new ToolCallFunction(t.Name, t.Arguments))).ToList(),
        };
    }

    private string Chunk(IReadOnlyList<ChatChunkChoice> choices, Usage? usage = null) => JsonSerializer.Serialize(
        new ChatCompletionChunk(Id, created, model, choices) { Usage = usage }, ApiJsonContext.Wire.ChatCompletionChunk);
}
