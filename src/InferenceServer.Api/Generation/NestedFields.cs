using System.Text.Json;
using InferenceServer.Api.Errors;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Refuses keys the OpenAI API does not define inside a request's objects — messages with their tool calls and content
/// parts, tools, <c>tool_choice</c>, <c>response_format</c>, <c>stream_options</c> — as <see cref="RequestFields"/>
/// does at the top level, so a misspelt or unsupported nested field is named in a 400 instead of dropped. Keys the
/// spec defines for a message but this server does not read are accepted only empty (null, false or <c>[]</c>), as
/// clients send them when they echo a response's message back. Values of the wrong shape are left to the parsers.
/// </summary>
internal static class NestedFields
{
    private static readonly HashSet<string> Message = ["role", "content", "name"];
    private static readonly HashSet<string> AssistantMessage = [.. Message, "tool_calls", "reasoning_content"];
    private static readonly HashSet<string> ToolMessage = ["role", "content", "tool_call_id", "name"];
    // An assistant message as a response carries it, echoed back: fields this server never sends or reads.
    private static readonly HashSet<string> EchoedOnly = ["refusal", "audio", "function_call", "annotations"];
    private static readonly HashSet<string> ToolCall = ["id", "type", "function"];
    private static readonly HashSet<string> CalledFunction = ["name", "arguments"];
    private static readonly HashSet<string> ContentPart = ["type", "text"];
    private static readonly HashSet<string> Tool = ["type", "function"];
    private static readonly HashSet<string> FunctionDefinition = ["name", "description", "parameters", "strict"];
    private static readonly HashSet<string> NamedToolChoice = ["type", "function"];
    private static readonly HashSet<string> ToolChoiceFunction = ["name"];
    private static readonly HashSet<string> ResponseFormat = ["type", "json_schema"];
    private static readonly HashSet<string> JsonSchemaFormat = ["name", "description", "schema", "strict"];
    private static readonly HashSet<string> StreamOptions = ["include_usage", "include_obfuscation"];

    /// <summary>Checks the nested objects of request body <paramref name="root"/>.</summary>
    /// <exception cref="ApiException">
    /// 400 <c>unknown_parameter</c> naming the first unknown key by its path (<c>messages[0].foo</c>), or
    /// <c>unsupported_parameter</c> for a known one set to something this server would drop.
    /// </exception>
    public static void RefuseUnknown(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return;
        foreach (var (m, at) in Items(root, "messages"))
            CheckMessage(m, at);
        // Objects of a type this server does not take are left to the parsers, whose error names the type.
        foreach (var (tool, at) in Items(root, "tools"))
            if (IsType(tool, "function"))
                Check(tool, at, Tool, ("function", FunctionDefinition));
        if (Get(root, "tool_choice") is { ValueKind: JsonValueKind.Object } choice && IsType(choice, "function"))
            Check(choice, "tool_choice", NamedToolChoice, ("function", ToolChoiceFunction));
        if (Get(root, "response_format") is { ValueKind: JsonValueKind.Object } format && IsType(format, "text", "json_object", "json_schema"))
            Check(format, "response_format", ResponseFormat, ("json_schema", JsonSchemaFormat));
        if (Get(root, "stream_options") is { ValueKind: JsonValueKind.Object } options)
        {
            Check(options, "stream_options", StreamOptions);
            // Obfuscation pads chunks with random text against side channels; this server sends none.
            if (Get(options, "include_obfuscation") is { ValueKind: JsonValueKind.True })
                throw Unsupported("stream_options.include_obfuscation", "only false");
        }
    }

    private static void CheckMessage(JsonElement m, string at)
    {
        if (m.ValueKind != JsonValueKind.Object)
            return;
        string? role = Get(m, "role") is { ValueKind: JsonValueKind.String } r ? r.GetString() : null;
        var allowed = role switch { "assistant" => AssistantMessage, "tool" => ToolMessage, _ => Message };
        foreach (var property in m.EnumerateObject())
        {
            if (allowed.Contains(property.Name))
                continue;
            if (role == "assistant" && EchoedOnly.Contains(property.Name))
            {
                if (!IsEmpty(property.Value))
                    throw Unsupported($"{at}.{property.Name}", "null or empty");
                continue;
            }
            throw Unknown($"{at}.{property.Name}");
        }
        foreach (var (call, callAt) in Items(m, "tool_calls", at))
            Check(call, callAt, ToolCall, ("function", CalledFunction));
        foreach (var (part, partAt) in Items(m, "content", at))
            if (IsType(part, "text"))
                Check(part, partAt, ContentPart);
    }

    // Checks `obj`'s keys, then those of its object-valued field `inner`, if given.
    private static void Check(JsonElement obj, string at, HashSet<string> allowed, (string Name, HashSet<string> Allowed)? inner = null)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            return;
        foreach (var property in obj.EnumerateObject())
            if (!allowed.Contains(property.Name))
                throw Unknown($"{at}.{property.Name}");
        if (inner is { } i && Get(obj, i.Name) is { ValueKind: JsonValueKind.Object } child)
            Check(child, $"{at}.{i.Name}", i.Allowed);
    }

    private static IEnumerable<(JsonElement Item, string At)> Items(JsonElement obj, string name, string? at = null)
    {
        if (Get(obj, name) is not { ValueKind: JsonValueKind.Array } array)
            yield break;
        int i = 0;
        foreach (var item in array.EnumerateArray())
            yield return (item, $"{(at is null ? "" : at + ".")}{name}[{i++}]");
    }

    private static bool IsType(JsonElement obj, params string[] types) =>
        obj.ValueKind == JsonValueKind.Object && Get(obj, "type") is { ValueKind: JsonValueKind.String } type && types.Contains(type.GetString());

    private static JsonElement? Get(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) ? value : null;

    private static bool IsEmpty(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False => true,
        JsonValueKind.Array => value.GetArrayLength() == 0,
        _ => false,
    };

    // A key is the caller's text: a long one is cut, so the error never grows with the request.
    private static ApiException Unknown(string path)
    {
        string shown = path.Length <= 96 ? path : path[..96] + "…";
        return ApiException.BadRequest($"Unrecognized request argument supplied: {shown}.", shown, "unknown_parameter");
    }

    private static ApiException Unsupported(string path, string accepted) => ApiException.BadRequest(
        $"'{path}' is not supported by this server: {accepted} is accepted.", path, "unsupported_parameter");
}
