using System.Text.Json.Serialization;

namespace InferenceServer.Api.Contracts;

/// <summary>
/// A streamed piece of a call (schema ChatCompletionMessageToolCallChunk): the first piece of each call has
/// <see cref="Id"/>, <see cref="Type"/> and the function name with empty arguments; later pieces add argument text.
/// </summary>
public sealed record ToolCallChunk(int Index, ToolCallFunctionChunk Function)
{
    /// <summary>The call id, first piece only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }
    /// <summary><c>function</c>, first piece only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; init; }
}

/// <summary>The function part of a streamed call piece.</summary>
public sealed record ToolCallFunctionChunk(string Arguments)
{
    /// <summary>The function name, first piece only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }
}
