using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Tool calls and reasoning end to end on a real model over Kestrel: a GBNF grammar makes the random-weights model
/// write an exact reply (reasoning, text, a Hermes call), and the server must turn it into reasoning_content, content,
/// tool_calls and finish_reason "tool_calls", whole and streamed, per choice; the shapes are checked against the
/// OpenAI spec.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ToolCallingTests(ToolTemplateServer fixture) : IClassFixture<ToolTemplateServer>
{
    private const string Reply =
        "The user wants the weather.</think>\n\nLet me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>";

    private TestServer Server => fixture.Server;

    internal static object[] WeatherTools =>
    [
        new
        {
            type = "function",
            function = new
            {
                name = "get_weather", description = "Weather for a city.",
                parameters = new { type = "object", properties = new { city = new { type = "string" }, days = new { type = "integer" } }, required = new[] { "city" } },
            },
        },
    ];

    /// <summary>A GBNF grammar whose only sentence is <paramref name="text"/>.</summary>
    internal static string Exactly(string text) =>
        "root ::= \"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";

    private object Request(string reply, object? toolChoice = null, bool stream = false, int n = 1, object[]? stop = null) => new
    {
        model = Server.Model.ModelId,
        messages = new[] { new { role = "user", content = "Weather in Paris?" } },
        tools = WeatherTools,
        tool_choice = toolChoice ?? "auto",
        grammar = Exactly(reply),
        max_tokens = 400,
        temperature = 1,
        n,
        stream,
        stop,
        stream_options = stream ? new { include_usage = true } : null,
    };

    [SkippableFact]
    public async Task A_call_is_returned_as_tool_calls_with_the_text_before_it_and_the_reasoning()
    {
        using var response = await Server.PostAsync("v1/chat/completions", Request(Reply));
        string json = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        var choice = JsonNode.Parse(json)!["choices"]![0]!;
        var message = choice["message"]!;

        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("Let me check.\n", (string?)message["content"]);
        Assert.Equal("The user wants the weather.", (string?)message["reasoning_content"]);
        var call = Assert.Single(message["tool_calls"]!.AsArray())!;
        Assert.StartsWith("call_", (string?)call["id"]);
        Assert.Equal("function", (string?)call["type"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city": "Paris", "days": 2}"""),
            JsonNode.Parse((string)call["function"]!["arguments"]!)));
        var usage = JsonNode.Parse(json)!["usage"]!;
        Assert.InRange((int)usage["completion_tokens_details"]!["reasoning_tokens"]!, 1, (int)usage["completion_tokens"]! - 1);
        AssertValid("CreateChatCompletionResponse", json);
    }

    [SkippableFact]
    public async Task A_reply_of_only_a_call_has_null_content()
    {
        var response = await Server.ChatAsync(Request("</think><tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>",
            toolChoice: new { type = "function", function = new { name = "get_weather" } }));
        var message = response["choices"]![0]!["message"]!;

        Assert.Null(message["content"]);
        Assert.Null(message["reasoning_content"]);
        Assert.Equal("get_weather", (string?)message["tool_calls"]![0]!["function"]!["name"]);
    }

    [SkippableFact]
    public async Task Streamed_calls_follow_the_openai_chunk_contract()
    {
        var events = await Server.StreamAsync("v1/chat/completions", Request(Reply, stream: true, n: 2));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
        foreach (string e in events.SkipLast(1))
            AssertValid("CreateChatCompletionStreamResponse", e);

        for (int index = 0; index < 2; index++)
        {
            var deltas = chunks.SelectMany(c => c["choices"]!.AsArray()).Where(c => (int)c!["index"]! == index).ToList();
            string content = string.Concat(deltas.Select(d => (string?)d!["delta"]!["content"]));
            string reasoning = string.Concat(deltas.Select(d => (string?)d!["delta"]!["reasoning_content"]));
            var pieces = deltas.SelectMany(d => d!["delta"]!["tool_calls"]?.AsArray() ?? []).ToList();

            Assert.Equal("Let me check.\n", content);
            Assert.Equal("The user wants the weather.", reasoning);
            var first = pieces[0]!;
            Assert.Equal(0, (int)first["index"]!);
            Assert.StartsWith("call_", (string?)first["id"]);
            Assert.Equal("function", (string?)first["type"]);
            Assert.Equal("get_weather", (string?)first["function"]!["name"]);
            Assert.Equal("", (string?)first["function"]!["arguments"]);
            Assert.All(pieces.Skip(1), p => Assert.Null(p!["id"]));
            string arguments = string.Concat(pieces.Select(p => (string?)p!["function"]!["arguments"]));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city": "Paris", "days": 2}"""), JsonNode.Parse(arguments)), arguments);
            Assert.Equal("tool_calls", (string?)deltas[^1]!["finish_reason"]);
        }
        Assert.True((int)chunks[^1]["usage"]!["completion_tokens_details"]!["reasoning_tokens"]! > 0);
    }

    [SkippableFact]
    public async Task Tool_choice_none_leaves_the_text_as_content()
    {
        const string reply = "</think><tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>";
        var response = await Server.ChatAsync(Request(reply, toolChoice: "none"));
        var choice = response["choices"]![0]!;

        Assert.Equal("<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [SkippableFact]
    public async Task Stop_strings_apply_to_the_raw_text_before_parsing()
    {
        var response = await Server.ChatAsync(Request(Reply, stop: ["<tool_call>"]));
        var choice = response["choices"]![0]!;

        Assert.Equal("Let me check.\n", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [SkippableFact]
    public async Task A_stop_string_inside_a_call_ends_the_choice_as_stop_not_tool_calls()
    {
        var choice = (await Server.ChatAsync(Request(Reply, stop: ["Paris"])))["choices"]![0]!;

        Assert.Equal("stop", (string?)choice["finish_reason"]);
        Assert.Equal("Let me check.\n", (string?)choice["message"]!["content"]);
        var call = choice["message"]!["tool_calls"]![0]!["function"]!;
        Assert.Equal("get_weather", (string?)call["name"]);
        Assert.Equal("{\"city\": \"", (string?)call["arguments"]);
    }

    [SkippableFact]
    public async Task Max_tokens_cutting_a_call_before_its_name_leaves_no_markup_in_content()
    {
        var request = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Request("R.</think>Hi.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>")))!;
        // Greedy, so every run spells the reply with the same tokens; cut it after each of them.
        request["temperature"] = 0;
        var full = await Server.ChatAsync(request);
        Assert.True((string?)full["choices"]![0]!["finish_reason"] == "tool_calls", full.ToJsonString());
        int total = (int)full["usage"]!["completion_tokens"]!;
        var reasons = new HashSet<string?>();
        for (int maxTokens = 1; maxTokens < total; maxTokens++)
        {
            request["max_tokens"] = maxTokens;
            var choice = (await Server.ChatAsync(request))["choices"]![0]!;
            reasons.Add($"{maxTokens}/{total}:{choice["finish_reason"]}:{choice["message"]!["tool_calls"]?.ToJsonString()}");
            string content = (string?)choice["message"]!["content"] ?? "";
            Assert.DoesNotContain("<tool_call", content);
            Assert.DoesNotContain("{", content);
            Assert.True("Hi.".StartsWith(content, StringComparison.Ordinal) || content == "Hi.", content);
        }
        Assert.True(reasons.All(r => r!.Split(':')[1] == "length"), string.Join("\n", reasons));
    }

    private static void AssertValid(string schema, string json)
    {
        var errors = OpenAiSchema.Validate(schema, json);
        Assert.True(errors.Count == 0, $"{schema} invalid:\n{string.Join('\n', errors.Take(10))}\n{json}");
    }
}
