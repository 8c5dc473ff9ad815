using System.Text.Json.Nodes;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Output;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Tests;

public sealed class ChatResponseShapeTests
{
    private static JsonNode Delta(string chunk) => JsonNode.Parse(chunk)!["choices"]![0]!["delta"]!;

    [Fact]
    public void An_event_with_a_calls_header_and_its_arguments_streams_them_in_separate_chunks()
    {
        var shape = new ChatResponseShape("m", 0);
        var e = new GenerationEvent(0, "", FinishReason.Stop, 3, 4)
        {
            NumToolCalls = 2,
            ToolCalls =
            [
                new ToolCallDelta(0, "call_a", "get_weather", ""), new ToolCallDelta(0, null, null, "{\"city\":"),
                new ToolCallDelta(0, null, null, "\"Oslo\"}"), new ToolCallDelta(1, "call_b", "get_time", ""),
            ],
        };

        var chunks = shape.EventChunks(e).ToList();

        Assert.Equal(2, chunks.Count);
        var first = Delta(chunks[0])["tool_calls"]!.AsArray();
        Assert.Equal("call_a", (string?)Assert.Single(first)!["id"]);
        Assert.Equal("", (string?)first[0]!["function"]!["arguments"]);
        Assert.Null(JsonNode.Parse(chunks[0])!["choices"]![0]!["finish_reason"]);
        var second = Delta(chunks[1])["tool_calls"]!.AsArray();
        Assert.Equal(2, second.Count);
        Assert.Equal(0, (int)second[0]!["index"]!);
        Assert.Null(second[0]!["id"]);
        Assert.Equal("{\"city\":\"Oslo\"}", (string?)second[0]!["function"]!["arguments"]);
        Assert.Equal("call_b", (string?)second[1]!["id"]);
        Assert.Equal("tool_calls", (string?)JsonNode.Parse(chunks[1])!["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public void An_event_without_repeated_calls_is_one_chunk()
    {
        var shape = new ChatResponseShape("m", 0);
        var chunks = shape.EventChunks(new GenerationEvent(0, "hello", null, 3, 4)).ToList();

        Assert.Equal("hello", (string?)Delta(Assert.Single(chunks))["content"]);
    }
}
