using System.Text;
using System.Text.Json;
using InferenceServer.Api.Errors;
using InferenceServer.Engine.Models;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Reads chat <c>messages</c> as OpenAI defines them: role, content (a string or text parts; null allowed for assistant
/// turns), assistant <c>tool_calls</c> (<c>id</c>, <c>type: "function"</c>, <c>function.name</c>,
/// <c>function.arguments</c> as a string) and <c>reasoning_content</c>, tool messages' <c>tool_call_id</c> (required)
/// and <c>name</c>.
/// </summary>
internal static class ChatMessageParser
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>The messages of the request.</summary>
    /// <exception cref="ApiException">400 naming the offending field by its path.</exception>
    public static List<ChatMessage> Parse(JsonFieldReader r, int maxMessages)
    {
        if (r.Get("messages") is not { } arr)
            throw Nested.Missing("messages");
        if (arr.ValueKind != JsonValueKind.Array)
            throw JsonFieldReader.WrongType("messages", "an array", arr);
        if (arr.GetArrayLength() == 0)
            throw ApiException.BadRequest("'messages' must contain at least one message.", "messages", "empty_array");
        if (arr.GetArrayLength() > maxMessages)
            throw ApiException.BadRequest($"'messages' may hold at most {maxMessages} messages.", "messages", "invalid_value");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in arr.EnumerateArray())
            list.Add(ParseMessage(m, $"messages[{i++}]"));
        return list;
    }

    private static ChatMessage ParseMessage(JsonElement m, string at)
    {
        if (m.ValueKind != JsonValueKind.Object)
            throw JsonFieldReader.WrongType(at, "an object", m);
        var mr = new JsonFieldReader(m);
        string role = Nested.Read(() => mr.String("role"), at, "role") ?? throw Nested.Missing($"{at}.role");
        if (!Roles.Contains(role))
            throw ApiException.BadRequest(
                $"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
                $"{at}.role", "invalid_value");
        string content = NoNul(ParseContent(mr.Get("content"), role, $"{at}.content"), $"{at}.content");
        var message = new ChatMessage(role, content)
        {
            Name = Nested.Read(() => mr.String("name"), at, "name"),
        };
        if (role == "assistant")
            return message with
            {
                ToolCalls = ParseToolCalls(mr.Get("tool_calls"), $"{at}.tool_calls"),
                ReasoningContent = Nested.Read(() => mr.String("reasoning_content"), at, "reasoning_content") is { } reasoning
                    ? NoNul(reasoning, $"{at}.reasoning_content") : null,
            };
        if (role == "tool")
            return message with
            {
                ToolCallId = Nested.Read(() => mr.String("tool_call_id"), at, "tool_call_id") ?? throw Nested.Missing($"{at}.tool_call_id"),
            };
        return message;
    }

    // The chat template is applied through C strings on some paths: a NUL would silently cut the message short.
    private static string NoNul(string text, string param) => text.Contains('\0')
        ? throw ApiException.BadRequest($"Invalid '{param}': NUL characters are not allowed.", param, "invalid_value")
        : text;

    private static List<ChatToolCall>? ParseToolCalls(JsonElement? value, string param)
    {
        if (value is not { } array)
            return null;
        if (array.ValueKind != JsonValueKind.Array)
            throw JsonFieldReader.WrongType(param, "an array", array);
        var calls = new List<ChatToolCall>();
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            string at = $"{param}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
                throw JsonFieldReader.WrongType(at, "an object", item);
            var r = new JsonFieldReader(item);
            string id = Nested.Read(() => r.String("id"), at, "id") ?? throw Nested.Missing($"{at}.id");
            string type = Nested.Read(() => r.String("type"), at, "type") ?? throw Nested.Missing($"{at}.type");
            if (type != "function")
                throw ApiException.BadRequest($"Invalid value: '{type}'. Supported values are: 'function'.", $"{at}.type", "invalid_value");
            if (Nested.Read(() => r.Object("function"), at, "function") is not { } function)
                throw Nested.Missing($"{at}.function");
            var f = new JsonFieldReader(function);
            string name = Nested.Read(() => f.String("name"), $"{at}.function", "name") ?? throw Nested.Missing($"{at}.function.name");
            string arguments = Nested.Read(() => f.String("arguments"), $"{at}.function", "arguments")
                ?? throw Nested.Missing($"{at}.function.arguments");
            calls.Add(new ChatToolCall(id, name, NoNul(arguments, $"{at}.function.arguments")));
        }
        return calls.Count == 0 ? null : calls;
    }

    private static string ParseContent(JsonElement? content, string role, string param)
    {
        switch (content)
        {
            case null when role == "assistant":
                return "";
            case null:
                throw Nested.Missing(param);
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString()!;
            case { ValueKind: JsonValueKind.Array } parts when parts.GetArrayLength() == 0:
                throw ApiException.BadRequest(
                    $"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.", param, "empty_array");
            case { ValueKind: JsonValueKind.Array } parts:
                var text = new StringBuilder();
                int j = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    string at = $"{param}[{j++}]";
                    if (part.ValueKind != JsonValueKind.Object)
                        throw JsonFieldReader.WrongType(at, "an object", part);
                    var pr = new JsonFieldReader(part);
                    string? type = Nested.Read(() => pr.String("type"), at, "type");
                    if (type != "text")
                        throw ApiException.BadRequest($"Unsupported content part type '{type}': only 'text' parts are supported.", $"{at}.type", "invalid_value");
                    text.Append(Nested.Read(() => pr.String("text"), at, "text") ?? throw Nested.Missing($"{at}.text"));
                }
                return text.ToString();
            case { } other:
                throw JsonFieldReader.WrongType(param, "a string or an array of content parts", other);
        }
    }
}
