using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Tools on a model whose template shows no tool calls (the demo model's ChatML): the generic format describes the
/// tools in a system message and reads a JSON reply; a grammar makes the real model write one.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GenericToolFormatTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private object Request(string reply, bool withTools = true, object[]? messages = null) => new
    {
        model = fixture.ModelId,
        messages = messages ?? [new { role = "user", content = "Weather in Paris?" }],
        tools = withTools ? ToolCallingTests.WeatherTools : null,
        grammar = ToolCallingTests.Exactly(reply),
        max_tokens = 200,
    };

    [Fact]
    public async Task A_json_reply_with_tool_calls_becomes_tool_calls()
    {
        var response = await Server.ChatAsync(Request("{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}"));
        var choice = response["choices"]![0]!;

        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Null(choice["message"]!["content"]);
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal("{\"city\": \"Paris\"}", (string?)call["function"]!["arguments"]);
    }

    [Fact]
    public async Task A_json_reply_with_content_is_that_content()
    {
        var response = await Server.ChatAsync(Request("{\"content\": \"It is sunny.\"}"));

        Assert.Equal("It is sunny.", (string?)response["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)response["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task The_tools_reach_the_prompt_and_earlier_calls_stay_in_the_history()
    {
        object[] history =
        [
            new { role = "user", content = "Weather in Paris?" },
            new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "get_weather", arguments = "{\"city\": \"Paris\"}" } } } },
            new { role = "tool", tool_call_id = "call_1", content = "sunny" },
        ];
        var without = await Server.ChatAsync(Request("{\"content\": \"x\"}", withTools: false));
        var with = await Server.ChatAsync(Request("{\"content\": \"x\"}"));
        var withHistory = await Server.ChatAsync(Request("{\"content\": \"x\"}", messages: history));

        int Prompt(JsonNode r) => (int)r["usage"]!["prompt_tokens"]!;
        string tool = System.Text.Json.JsonSerializer.Serialize(ToolCallingTests.WeatherTools[0]);
        Assert.True(Prompt(with) > Prompt(without) + Server.Model.Tokenizer.Tokenize(tool, false).Length / 2);
        Assert.True(Prompt(withHistory) > Prompt(with) + Server.Model.Tokenizer.Tokenize("{\"tool_calls\": [{\"name\": \"get_weather\"", false).Length);
    }
}
