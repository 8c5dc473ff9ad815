using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Two tools with non-trivial parameters (required properties, an enum, integer ranges, a nested object, a pattern) and
/// the checks every returned call must pass: it names a declared tool and its <c>arguments</c> is a JSON string that
/// validates against that tool's <c>parameters</c> (JsonSchema.Net). Strings carry <c>maxLength</c> so a random-weights
/// model's arguments stay short enough to close within the tests' <c>max_tokens</c>.
/// </summary>
internal static class ProofTools
{
    public const string WeatherSchema = """
        {"type": "object", "additionalProperties": false, "required": ["city", "unit"],
         "properties": {
           "city": {"type": "string", "minLength": 1, "maxLength": 12},
           "unit": {"enum": ["celsius", "fahrenheit"]},
           "days": {"type": "integer", "minimum": 1, "maximum": 7}}}
        """;

    public const string BookingSchema = """
        {"type": "object", "additionalProperties": false, "required": ["restaurant", "party"],
         "properties": {
           "restaurant": {"type": "string", "maxLength": 10},
           "party": {"type": "object", "additionalProperties": false, "required": ["adults"],
             "properties": {"adults": {"type": "integer", "minimum": 1, "maximum": 12},
                            "children": {"type": "integer", "minimum": 0, "maximum": 6}}},
           "time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}}}
        """;

    public static readonly IReadOnlyDictionary<string, string> Schemas = new Dictionary<string, string>
    {
        ["get_weather"] = WeatherSchema,
        ["book_table"] = BookingSchema,
    };

    /// <summary>Both tools as the request's <c>tools</c> array.</summary>
    public static JsonArray Tools() =>
    [
        Tool("get_weather", "Weather forecast for a city.", WeatherSchema),
        Tool("book_table", "Book a table at a restaurant.", BookingSchema),
    ];

    private static JsonObject Tool(string name, string description, string schema) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["description"] = description, ["parameters"] = JsonNode.Parse(schema) },
    };

    /// <summary>Markup of every format that must never reach <c>content</c>.</summary>
    public static readonly string[] Markup = ["<tool_call>", "</tool_call>", "<|python_tag|>", "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "\"name\"",
        "<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>",
        "<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|end|>", "<|call|>", "<|return|>"];

    /// <summary>
    /// Asserts one choice's message is calls only: finish_reason "tool_calls", content null, at least one call (exactly
    /// one when <paramref name="single"/>), each with a distinct id, type "function", a declared name
    /// (<paramref name="named"/> when given) and arguments valid against its tool's schema. Returns the calls as
    /// (name, arguments) pairs.
    /// </summary>
    public static List<(string Name, string Arguments)> AssertCallsOnly(JsonNode choice, string? named, bool single)
    {
        string context = choice.ToJsonString();
        Assert.True((string?)choice["finish_reason"] == "tool_calls", context);
        var message = choice["message"]!;
        Assert.True(message["content"] is null, context);
        var calls = message["tool_calls"]!.AsArray();
        Assert.True(calls.Count >= 1 && (!single || calls.Count == 1), context);
        Assert.Equal(calls.Count, calls.Select(c => (string?)c!["id"]).Distinct().Count());
        return [.. calls.Select(c => AssertValidCall(c!, named, context))];
    }

    /// <summary>Asserts one <c>tool_calls</c> entry is well formed and valid; returns its name and arguments.</summary>
    public static (string Name, string Arguments) AssertValidCall(JsonNode call, string? named, string context)
    {
        Assert.False(string.IsNullOrEmpty((string?)call["id"]), context);
        Assert.Equal("function", (string?)call["type"]);
        string name = (string)call["function"]!["name"]!;
        Assert.True(named is null ? Schemas.ContainsKey(name) : name == named, $"undeclared or unexpected tool '{name}': {context}");
        var argumentsNode = call["function"]!["arguments"]!;
        Assert.Equal(JsonValueKind.String, argumentsNode.GetValueKind());
        string arguments = (string)argumentsNode!;
        AssertValidates(Schemas[name], arguments, context);
        return (name, arguments);
    }

    /// <summary>Asserts <paramref name="json"/> parses and validates against <paramref name="schema"/> (formats too).</summary>
    public static void AssertValidates(string schema, string json, string context)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"not JSON ({ex.Message}): {json} in {context}");
        }
        var result = JsonSchema.FromText(schema).Evaluate(node,
            new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.True(result.IsValid, $"{json} does not validate: {JsonSerializer.Serialize(result.Details.Where(d => d.Errors is { Count: > 0 }).Select(d => d.Errors))} in {context}");
    }
}
