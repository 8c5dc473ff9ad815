using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace InferenceServer.Templates.Tests;

/// <summary>
/// Prints what rendering a 20-message conversation with tools costs (issue target: ≤ 1 ms), measured on the
/// shared Qwen2.5 template side by side with Python jinja2 on the same input when available. A printed measurement
/// only: a loaded test machine makes timing assertions meaningless, the ratio is what to read.
/// </summary>
public sealed class RenderCostTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void PrintsRenderTimeOfTwentyMessagesWithTools()
    {
        var folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        var source = File.ReadAllText(Path.Combine(folder!, "Qwen-Qwen2.5-7B-Instruct.jinja"));

        var parse = Stopwatch.StartNew();
        var template = ChatTemplate.Parse(source);
        parse.Stop();

        var variables = Conversation();
        string first = template.Render(variables);
        Assert.Contains("<tool_call>", first);
        Assert.EndsWith("<|im_start|>assistant\n", first);

        const int renders = 300;
        // Warm up first: until .NET's tiered JIT has optimised the interpreter, renders are several times slower.
        for (int i = 0; i < renders; i++) template.Render(variables);
        var render = Stopwatch.StartNew();
        for (int i = 0; i < renders; i++) Assert.Equal(first.Length, template.Render(variables).Length);
        render.Stop();
        double perRenderMs = render.Elapsed.TotalMilliseconds / renders;
        if (ReferenceRenderer.IsAvailable())
        {
            var json = new JsonObject(variables.Select(p => KeyValuePair.Create(p.Key, p.Value is JsonNode n ? n.DeepClone() : JsonValue.Create(p.Value))));
            var reference = ReferenceRenderer.Render(new() { ["qwen"] = source }, [("qwen", json)], DateTime.UnixEpoch, repeat: renders)[0];
            Assert.Equal(first, reference.Output);
            output.WriteLine($"jinja2: {reference.Seconds * 1e6:F0} µs per render of the same conversation; engine/jinja2 time ratio {perRenderMs / 1000 / reference.Seconds:F2}");
        }
        output.WriteLine($"render: {perRenderMs * 1000:F0} µs per 20-message conversation with 2 tools ({first.Length} chars, mean of {renders}); " +
            $"parse once: {parse.Elapsed.TotalMilliseconds:F1} ms; render/parse ratio {perRenderMs / parse.Elapsed.TotalMilliseconds:F3}" +
            $"{(Debugger.IsAttached || IsDebugBuild ? " (Debug build: Release renders several times faster)" : "")}");
    }

#if DEBUG
    private const bool IsDebugBuild = true;
#else
    private const bool IsDebugBuild = false;
#endif

    private static Dictionary<string, object?> Conversation()
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant." } };
        for (int turn = 0; messages.Count < 20; turn++)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"Question {turn}: what is the weather in city {turn}?" });
            if (turn % 3 == 0)
            {
                messages.Add(new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = null,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = $"call_{turn}", ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = new JsonObject { ["city"] = $"city {turn}" } },
                    }),
                });
                messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = $"call_{turn}", ["content"] = "{\"temp\": 20}" });
            }
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = $"It is sunny in city {turn}, about 20 degrees." });
        }
        var tools = JsonNode.Parse("""
            [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
             {"type": "function", "function": {"name": "search", "description": "Web search",
              "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]
            """);
        return new Dictionary<string, object?>
        {
            ["messages"] = messages.Take(20).Select(m => m!.DeepClone()).ToArray() is var list ? new JsonArray(list) : null,
            ["tools"] = tools,
            ["add_generation_prompt"] = true,
        };
    }
}
