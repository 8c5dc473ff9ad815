using System.Text.Json.Serialization;

namespace InferenceServer.Api.Contracts;

/// <summary>OpenAI <c>text_completion</c> object (schema CreateCompletionResponse), also used for stream chunks.</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices)
{
    /// <summary>Always <c>text_completion</c>.</summary>
    public string Object => "text_completion";
    /// <summary>Token counts; in streams only on the usage chunk.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Usage? Usage { get; init; }
}

/// <summary>One choice of a completion; <see cref="FinishReason"/> is null on intermediate stream chunks.</summary>
public sealed record CompletionChoice(int Index, string Text, string? FinishReason)
{
    /// <summary>Log probabilities of the tokens whose text this choice (or chunk) carries, when the request set <c>logprobs</c>; else null.</summary>
    public CompletionLogprobs? Logprobs { get; init; }
}
