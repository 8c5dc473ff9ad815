using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Templates.Tests;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Tool and reasoning requests on a real server (<see cref="ToolRefusalTests"/> has the refusals of bad tools, tool
/// choices and tool messages): tools, tool calls, tool results and reasoning history reach the template as Hugging
/// Face renders them (prompt tokens equal the token count of Python jinja2's render, skipped without python3 +
/// jinja2); <c>reasoning_effort: "none"</c> turns thinking off.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ToolRequestTests(ToolTemplateServer fixture) : IClassFixture<ToolTemplateServer>
{
    private const string Tool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}""";
    private const string User = """[{"role":"user","content":"hi"}]""";

    private TestServer Server => fixture.Server;

    [SkippableFact]
    public async Task Tools_calls_results_and_reasoning_history_render_as_jinja2_renders_them()
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        Assert.Equal("object", Server.Model.Chat.Capabilities.ToolCallArguments);
        var tools = JsonNode.Parse($"[{Tool}]")!;
        var messages = JsonNode.Parse("""
            [{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"},
             {"role":"assistant","content":null,"reasoning_content":"Need the tool.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
             {"role":"tool","tool_call_id":"call_1","name":"get_weather","content":"sunny"}]
            """)!;
        var response = await Server.ChatAsync(new JsonObject
        {
            ["model"] = Server.Model.ModelId, ["messages"] = messages.DeepClone(), ["tools"] = tools.DeepClone(), ["max_tokens"] = 1,
        });

        // As the template sees them: null content as "", arguments as an object (the probe found the template wants one).
        var rendered = messages.DeepClone().AsArray();
        rendered[2]!["content"] = "";
        rendered[2]!["tool_calls"]![0]!["function"]!["arguments"] = new JsonObject { ["city"] = "Paris" };
        Assert.Equal(ReferenceTokens(rendered, tools, null), (int)response["usage"]!["prompt_tokens"]!);
    }

    [SkippableFact]
    public async Task Reasoning_effort_none_turns_thinking_off_and_the_reply_starts_as_content()
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var messages = JsonNode.Parse(User)!;
        var response = await Server.ChatAsync(new JsonObject
        {
            ["model"] = Server.Model.ModelId, ["messages"] = messages.DeepClone(), ["max_tokens"] = 50, ["reasoning_effort"] = "none",
            ["grammar"] = ToolCallingTests.Exactly("Hello there."),
        });

        Assert.Equal(ReferenceTokens(messages.AsArray(), null, false), (int)response["usage"]!["prompt_tokens"]!);
        Assert.Equal("Hello there.", (string?)response["choices"]![0]!["message"]!["content"]);
        Assert.Null(response["choices"]![0]!["message"]!["reasoning_content"]);
        Assert.Equal(0, (int)response["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!);
    }

    [Fact]
    public async Task Capabilities_report_the_templates_tool_call_format()
    {
        var template = JsonNode.Parse(await Server.Http.GetStringAsync("v1/capabilities"))!["chat_template"]!;

        Assert.Equal("hermes", (string?)template["tool_call_format"]);
        Assert.True((bool)template["think_tags"]!);
        Assert.True((bool)template["thinking"]!);
    }

    [SkippableFact]
    public async Task A_tool_schema_nested_past_64_json_levels_is_served_and_a_body_past_128_is_refused()
    {
        string schema = """{"type":"object","properties":{"city":{"type":"string"}}}""";
        for (int i = 0; i < 30; i++)
            schema = "{\"type\":\"object\",\"properties\":{\"a\":" + schema + "},\"required\":[\"a\"]}";
        string tool = "{\"type\":\"function\",\"function\":{\"name\":\"deep\",\"parameters\":" + schema + "}}";
        using var ok = await Server.PostJsonAsync("v1/chat/completions", Body(User, "{\"tools\":[" + tool + "],\"tool_choice\":\"required\"}"));
        Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());

        string deep = string.Concat(Enumerable.Repeat("[", 130)) + string.Concat(Enumerable.Repeat("]", 130));
        var error = await Server.ChatErrorAsync(Body(User, "{\"metadata\":{\"x\":" + deep + "}}"));
        Assert.Equal("invalid_json", (string?)error["code"]);
        Assert.Contains("128", (string?)error["message"]);
    }

    private string Body(string messages, string fields)
    {
        var body = JsonNode.Parse(fields, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 512 })!.AsObject();
        body["model"] = Server.Model.ModelId;
        body["messages"] = JsonNode.Parse(messages);
        body["max_tokens"] = 1;
        return body.ToJsonString();
    }


    // Tokens of jinja2's render, as the server tokenizes a prompt.
    private int ReferenceTokens(JsonArray messages, JsonNode? tools, bool? enableThinking)
    {
        var variables = new JsonObject
        {
            ["messages"] = messages.DeepClone(), ["add_generation_prompt"] = true, ["bos_token"] = "<s>", ["eos_token"] = "</s>",
        };
        if (tools is not null)
            variables["tools"] = tools.DeepClone();
        if (enableThinking is { } thinking)
            variables["enable_thinking"] = thinking;
        var result = ReferenceRenderer.Render(new() { ["t"] = ToolTemplateServer.Template }, [("t", variables)], DateTime.UnixEpoch)[0];
        Assert.True(result.Ok, result.Error);
        return Server.Model.Tokenizer.Tokenize(result.Output!, parseSpecial: true).Length;
    }
}
