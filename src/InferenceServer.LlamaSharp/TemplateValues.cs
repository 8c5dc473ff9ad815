using System.Text.Json;
using InferenceServer.Engine.Tools;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// Messages and tools as Hugging Face chat templates read them: dictionaries with OpenAI's field names, <c>developer</c>
/// given as <c>system</c>, tool-call arguments as an object or as the JSON string, whichever the template renders.
/// </summary>
internal static class TemplateValues
{
    /// <summary>The template value of <paramref name="m"/>; <paramref name="argumentsAsObject"/> parses call arguments (kept as text when they are not a JSON object).</summary>
    public static Dictionary<string, object?> Message(ChatMessage m, bool argumentsAsObject)
    {
        var value = new Dictionary<string, object?>
        {
            ["role"] = m.Role == "developer" ? "system" : m.Role,
            ["content"] = m.Content,
        };
        if (m.ToolCalls is { Count: > 0 } calls)
            value["tool_calls"] = calls.Select(c => (object?)ToolCall(c, argumentsAsObject)).ToList();
        if (m.ToolCallId is not null)
            value["tool_call_id"] = m.ToolCallId;
        if (m.Name is not null)
            value["name"] = m.Name;
        if (m.ReasoningContent is not null)
            value["reasoning_content"] = m.ReasoningContent;
        return value;
    }

    /// <summary>OpenAI's <c>tools</c> array: <c>{"type":"function","function":{"name","description","parameters"}}</c>, absent members left out.</summary>
    public static List<object?> Tools(IReadOnlyList<ToolDefinition> tools) => tools.Select(t =>
    {
        var function = new Dictionary<string, object?> { ["name"] = t.Name };
        if (t.Description is not null)
            function["description"] = t.Description;
        if (t.Parameters is { } parameters)
            function["parameters"] = parameters;
        return (object?)new Dictionary<string, object?> { ["type"] = "function", ["function"] = function };
    }).ToList();

    private static Dictionary<string, object?> ToolCall(ChatToolCall call, bool argumentsAsObject) => new()
    {
        ["id"] = call.Id,
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = call.Name,
            ["arguments"] = argumentsAsObject && ParseObject(call.Arguments) is { } parsed ? parsed : call.Arguments,
        },
    };

    private static JsonElement? ParseObject(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
