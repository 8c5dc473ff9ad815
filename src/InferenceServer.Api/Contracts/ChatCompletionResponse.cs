using System.Text.Json.Serialization;

namespace InferenceServer.Api.Contracts;

/// <summary>OpenAI <c>chat.completion</c> object (schema CreateChatCompletionResponse).</summary>
public sealed record ChatCompletionResponse(
    string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    /// <summary>Always <c>chat.completion</c>.</summary>
    public string Object => "chat.completion";
}

/// <summary>One choice of a chat completion.</summary>
public sealed record ChatChoice(int Index, AssistantMessage Message, string FinishReason)
{
    /// <summary>Log probabilities of the content tokens when the request asked for them (<c>logprobs: true</c>), else null.</summary>
    public ChatLogprobs? Logprobs { get; init; }
}

/// <summary>The assistant's reply; <see cref="Content"/> is null when the reply is only tool calls.</summary>
public sealed record AssistantMessage(string? Content)
{
    /// <summary>Always <c>assistant</c>.</summary>
    public string Role => "assistant";
    /// <summary>Refusals are not produced; always null.</summary>
    public string? Refusal => null;
    /// <summary>The model's reasoning (text it wrote in its thinking block), when it wrote any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReasoningContent { get; init; }
    /// <summary>Calls the model made, when it made any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
}

/// <summary>OpenAI <c>chat.completion.chunk</c> object (schema CreateChatCompletionStreamResponse).</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices)
{
    /// <summary>Always <c>chat.completion.chunk</c>.</summary>
    public string Object => "chat.completion.chunk";
    /// <summary>Set only on the last chunk when <c>stream_options.include_usage</c> is true.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Usage? Usage { get; init; }
}

/// <summary>One choice's delta in a chunk; <see cref="FinishReason"/> is null until the last content chunk.</summary>
public sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason)
{
    /// <summary>Log probabilities of the tokens whose text this delta carries, when the request asked for them; else null.</summary>
    public ChatLogprobs? Logprobs { get; init; }
}

/// <summary>New text of a streamed reply; the first delta carries the role.</summary>
public sealed record ChatDelta
{
    /// <summary><c>assistant</c> in the first delta only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }
    /// <summary>Text added by this chunk.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }
    /// <summary>Reasoning text added by this chunk.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReasoningContent { get; init; }
    /// <summary>Tool-call pieces added by this chunk.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ToolCallChunk>? ToolCalls { get; init; }
}
