using System.Text.Json.Nodes;

namespace InferenceServer.Templates.Tests;

/// <summary>The conversations every shared template is rendered with, as JSON like a request carries them.</summary>
internal static class ConformanceCases
{
    private const string Tools = """
        [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city — «°C»",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
          "days": {"type": "integer", "enum": [1, 2, 3]}}, "required": ["city"]}}},
         {"type": "function", "function": {"name": "search", "description": "Web search",
          "parameters": {"type": "object", "properties": {"query": {"type": "string"},
          "filters": {"type": "array", "items": {"type": "string"}}}, "required": ["query"]}}}]
        """;

    private static readonly (string Name, string Messages, bool WithTools, string? Extra)[] Conversations =
    [
        ("plain", """[{"role": "user", "content": "Hello there!"}]""", false, null),
        ("system", """[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]""", false, null),
        ("multi-turn", """
            [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "What is 2+2?"},
             {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3? Ünïcödé 日本"}]
            """, false, null),
        ("no-system-multi-turn", """
            [{"role": "user", "content": "One"}, {"role": "assistant", "content": "Two"},
             {"role": "user", "content": "Three"}, {"role": "assistant", "content": "Four"}]
            """, false, null),
        ("content-parts", """
            [{"role": "user", "content": [{"type": "text", "text": "Describe "}, {"type": "text", "text": "this."}]}]
            """, false, null),
        ("tools-object-args", """
            [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
               "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
             {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp\": 21.5}"},
             {"role": "user", "content": "Thanks"}]
            """, true, null),
        ("tools-string-args", """
            [{"role": "user", "content": "Search for cats"},
             {"role": "assistant", "content": "", "tool_calls": [{"id": "call_9", "type": "function",
               "function": {"name": "search", "arguments": "{\"query\": \"cats\"}"}}]},
             {"role": "tool", "tool_call_id": "call_9", "content": "Cats are mammals."}]
            """, true, null),
        ("tools-only-user", """[{"role": "user", "content": "What's the weather in Oslo?"}]""", true, null),
        ("parallel-tool-calls", """
            [{"role": "user", "content": "Weather in Rome and news?"},
             {"role": "assistant", "content": "Checking both.", "tool_calls": [
               {"id": "a1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}},
               {"id": "a2", "type": "function", "function": {"name": "search", "arguments": {"query": "news", "filters": ["today", "it"]}}}]},
             {"role": "tool", "tool_call_id": "a1", "content": "Sunny, 30.0°C"},
             {"role": "tool", "tool_call_id": "a2", "content": "Nothing new."}]
            """, true, null),
        ("special-characters", """
            [{"role": "system", "content": "  Quotes ' and \" and <tags> & ampersands\n\twith whitespace  "},
             {"role": "user", "content": "Emoji 🙂 and {{ not jinja }} {% raw %} and \\ backslash"},
             {"role": "assistant", "content": "<think>inline</think>Answer with 'quotes'."},
             {"role": "user", "content": ""}]
            """, false, null),
        ("assistant-prefill", """
            [{"role": "system", "content": "Continue the text."}, {"role": "user", "content": "Start a haiku"},
             {"role": "assistant", "content": "Autumn moonlight -"}]
            """, false, null),
        ("null-and-named-content", """
            [{"role": "user", "content": "Call it", "name": "alice"},
             {"role": "assistant", "content": null, "tool_calls": [{"id": "c7", "type": "function",
               "function": {"name": "search", "arguments": "{}"}}]},
             {"role": "tool", "tool_call_id": "c7", "name": "search", "content": [{"type": "text", "text": "[]"}]},
             {"role": "assistant", "content": "Nothing found."}, {"role": "user", "content": null}]
            """, true, null),
        ("reasoning-history", """
            [{"role": "user", "content": "Think: 7*6?"},
             {"role": "assistant", "content": "42", "reasoning_content": "7 times 6 is 42."},
             {"role": "user", "content": "And 6*9?"}]
            """, false, null),
        ("thinking-off", """[{"role": "user", "content": "Quick answer please"}]""", false, """{"enable_thinking": false}"""),
        ("reasoning-effort", """[{"role": "user", "content": "Hard problem"}]""", false, """{"reasoning_effort": "low"}"""),
    ];

    /// <summary>Every conversation with add_generation_prompt on and off.</summary>
    public static IEnumerable<(string Name, JsonObject Variables)> All()
    {
        foreach (var (name, messages, withTools, extra) in Conversations)
        {
            foreach (bool addGenerationPrompt in new[] { true, false })
            {
                var variables = new JsonObject
                {
                    ["messages"] = JsonNode.Parse(messages),
                    ["add_generation_prompt"] = addGenerationPrompt,
                    ["bos_token"] = "<s>",
                    ["eos_token"] = "</s>",
                };
                if (withTools) variables["tools"] = JsonNode.Parse(Tools);
                if (extra is not null)
                    foreach (var (k, v) in JsonNode.Parse(extra)!.AsObject()) variables[k] = v?.DeepClone();
                yield return ($"{name}{(addGenerationPrompt ? "+gen" : "")}", variables);
            }
        }
    }
}
