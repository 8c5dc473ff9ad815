using System.Text.Json;
using System.Text.RegularExpressions;
using InferenceServer.Api.Errors;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Generation;

/// <summary>
/// Reads <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c> of a chat request with OpenAI's rules: function
/// tools only, names of 1–64 letters, digits, <c>_</c> or <c>-</c>, unique; at most 128 tools; <c>tool_choice</c> only
/// with tools (<c>"none"</c> is accepted alone); a named choice must be one of the tools. An empty <c>tools</c> array
/// and <c>parallel_tool_calls</c> without tools ask for nothing and are accepted, as vLLM does.
/// </summary>
internal static partial class ToolRequestParser
{
    /// <summary>Most tools one request may offer (OpenAI's limit).</summary>
    public const int MaxTools = 128;

    /// <summary>The tools, choice and parallel flag; tools empty when the request gives none.</summary>
    /// <exception cref="ApiException">400 naming the field.</exception>
    public static (IReadOnlyList<ToolDefinition> Tools, ToolChoice Choice, bool Parallel) Parse(JsonFieldReader r)
    {
        var tools = ParseTools(r.Get("tools"));
        var choiceValue = r.Get("tool_choice");
        bool? parallel = r.Bool("parallel_tool_calls");
        if (tools.Count == 0)
        {
            if (choiceValue is { } c && !(c.ValueKind == JsonValueKind.String && c.GetString() == "none"))
                throw OnlyWithTools("tool_choice");
            return (tools, ToolChoice.None, parallel ?? true);
        }
        var choice = choiceValue is { } value ? ParseChoice(value) : ToolChoice.Auto;
        if (choice.Mode == ToolChoiceMode.Named && tools.All(t => t.Name != choice.Name))
            throw ApiException.BadRequest($"Invalid value for 'tool_choice': function '{choice.Name}' is not one of the tools given in 'tools'.",
                "tool_choice", "invalid_value");
        return (tools, choice, parallel ?? true);
    }

    private static List<ToolDefinition> ParseTools(JsonElement? value)
    {
        var tools = new List<ToolDefinition>();
        if (value is not { } array)
            return tools;
        if (array.ValueKind != JsonValueKind.Array)
            throw JsonFieldReader.WrongType("tools", "an array", array);
        if (array.GetArrayLength() > MaxTools)
            throw ApiException.BadRequest($"Invalid 'tools': array too long. Expected an array with maximum length {MaxTools}, but got an array with length {array.GetArrayLength()} instead.",
                "tools", "array_above_max_length");
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var tool = ParseTool(item, $"tools[{i++}]");
            if (tools.Any(t => t.Name == tool.Name))
                throw ApiException.BadRequest($"Invalid 'tools': function name '{tool.Name}' is given more than once; tool names must be unique.",
                    "tools", "invalid_value");
            tools.Add(tool);
        }
        return tools;
    }

    private static ToolDefinition ParseTool(JsonElement item, string at)
    {
        if (item.ValueKind != JsonValueKind.Object)
            throw JsonFieldReader.WrongType(at, "an object", item);
        var r = new JsonFieldReader(item);
        string type = Nested.Read(() => r.String("type"), at, "type") ?? throw Nested.Missing($"{at}.type");
        if (type != "function")
            throw ApiException.BadRequest($"Invalid value: '{type}'. Supported values are: 'function'.", $"{at}.type", "invalid_value");
        if (Nested.Read(() => r.Object("function"), at, "function") is not { } function)
            throw Nested.Missing($"{at}.function");
        string fat = $"{at}.function";
        var f = new JsonFieldReader(function);
        string name = ParseName(Nested.Read(() => f.String("name"), fat, "name"), $"{fat}.name");
        string? description = Nested.Read(() => f.String("description"), fat, "description");
        var parameters = Nested.Read(() => f.Object("parameters"), fat, "parameters");
        // Arguments are a JSON object (OpenAI requires an object schema): a schema of another type would give calls
        // whose arguments are not an object.
        if (parameters is { } p && p.TryGetProperty("type", out var schemaType) && !(schemaType.ValueKind == JsonValueKind.String && schemaType.GetString() == "object"))
            throw ApiException.BadRequest($"Invalid '{fat}.parameters.type': a tool's parameters must be a schema of type \"object\".",
                $"{fat}.parameters.type", "invalid_value");
        bool strict = Nested.Read(() => f.Bool("strict"), fat, "strict") ?? false;
        return new ToolDefinition(name, description, parameters?.Clone(), strict);
    }

    private static string ParseName(string? name, string param)
    {
        if (name is null)
            throw Nested.Missing(param);
        if (name.Length is 0 or > 64)
            throw ApiException.BadRequest($"Invalid '{param}': expected a string of 1 to 64 characters, but got {name.Length}.", param, "invalid_value");
        if (!NamePattern().IsMatch(name))
            throw ApiException.BadRequest($"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                param, "invalid_value");
        return name;
    }

    private static ToolChoice ParseChoice(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString()! switch
            {
                "none" => ToolChoice.None,
                "auto" => ToolChoice.Auto,
                "required" => ToolChoice.Required,
                var s => throw ApiException.BadRequest($"Invalid value: '{s}'. Supported values are: 'none', 'auto', and 'required'.",
                    "tool_choice", "invalid_value"),
            };
        if (value.ValueKind != JsonValueKind.Object)
            throw JsonFieldReader.WrongType("tool_choice", "a string or an object", value);
        var r = new JsonFieldReader(value);
        string type = Nested.Read(() => r.String("type"), "tool_choice", "type") ?? throw Nested.Missing("tool_choice.type");
        if (type != "function")
            throw ApiException.BadRequest($"Invalid value: '{type}'. Supported values are: 'function'.", "tool_choice.type", "invalid_value");
        if (Nested.Read(() => r.Object("function"), "tool_choice", "function") is not { } function)
            throw Nested.Missing("tool_choice.function");
        var f = new JsonFieldReader(function);
        return new ToolChoice(ToolChoiceMode.Named, ParseName(Nested.Read(() => f.String("name"), "tool_choice.function", "name"), "tool_choice.function.name"));
    }

    private static ApiException OnlyWithTools(string field) => ApiException.BadRequest(
        $"Invalid value for '{field}': '{field}' is only allowed when 'tools' are specified.", field, "invalid_value");

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex NamePattern();
}
