using System.Text;
using System.Text.Json.Nodes;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Assembles a streamed chat completion (one choice) into the shape of a non-streamed choice, checking the OpenAI
/// streaming contract for tool calls on the way: the first delta of each call has <c>index</c>, <c>id</c>,
/// <c>type: "function"</c>, <c>function.name</c> and <c>arguments: ""</c>; later deltas of that call carry only argument
/// text; indexes start at 0 and grow by one; the stream ends with <c>[DONE]</c>.
/// </summary>
internal static class StreamedChoice
{
    public static JsonNode Assemble(IReadOnlyList<string> events)
    {
        string all = string.Join("\n", events);
        Assert.True(events.Count > 0 && events[^1] == "[DONE]", all);
        StringBuilder? content = null, reasoning = null;
        var calls = new List<(JsonObject Call, StringBuilder Arguments)>();
        string? finish = null;
        foreach (var data in events.Take(events.Count - 1))
        {
            if (JsonNode.Parse(data)!["choices"]!.AsArray() is not [var choice, ..])
                continue;
            var delta = choice!["delta"]!;
            if ((string?)delta["content"] is { Length: > 0 } text)
                (content ??= new StringBuilder()).Append(text);
            if ((string?)delta["reasoning_content"] is { Length: > 0 } thought)
                (reasoning ??= new StringBuilder()).Append(thought);
            foreach (var piece in delta["tool_calls"]?.AsArray() ?? [])
                Add(calls, piece!, all);
            if ((string?)choice["finish_reason"] is { } reason)
            {
                Assert.True(finish is null, $"two finish reasons: {all}");
                finish = reason;
            }
        }
        return new JsonObject
        {
            ["finish_reason"] = finish,
            ["message"] = new JsonObject
            {
                ["content"] = content?.ToString(),
                ["reasoning_content"] = reasoning?.ToString(),
                ["tool_calls"] = calls.Count == 0 ? null : new JsonArray([.. calls.Select(c => Finished(c.Call, c.Arguments))]),
            },
        };
    }

    private static void Add(List<(JsonObject Call, StringBuilder Arguments)> calls, JsonNode piece, string all)
    {
        int index = (int)piece["index"]!;
        var function = piece["function"];
        if (index == calls.Count)
        {
            Assert.False(string.IsNullOrEmpty((string?)piece["id"]), $"first delta of call {index} has no id: {all}");
            Assert.True((string?)piece["type"] == "function", $"first delta of call {index} has no type: {all}");
            Assert.False(string.IsNullOrEmpty((string?)function?["name"]), $"first delta of call {index} has no name: {all}");
            Assert.True((string?)function!["arguments"] == "", $"first delta of call {index} must have arguments \"\": {all}");
            calls.Add((new JsonObject { ["id"] = (string?)piece["id"], ["type"] = "function", ["name"] = (string?)function["name"] }, new StringBuilder()));
            return;
        }
        Assert.True(index == calls.Count - 1, $"delta for call {index} after call {calls.Count - 1} started: {all}");
        Assert.True(piece["id"] is null && function?["name"] is null, $"later delta of call {index} repeats id or name: {all}");
        calls[index].Arguments.Append((string?)function?["arguments"]);
    }

    private static JsonObject Finished(JsonObject call, StringBuilder arguments) => new()
    {
        ["id"] = (string?)call["id"],
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = (string?)call["name"], ["arguments"] = arguments.ToString() },
    };
}
