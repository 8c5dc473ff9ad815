using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Every OpenAI request field is honoured or refused by name over HTTP, and <c>GET /v1/capabilities</c> reports the
/// running server. Refusals happen before the engine; accepted requests generate one token.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RequestFieldTests(DemoServerFixture fixture)
{
    private const string Chat = """{"model":"inference-server-demo","messages":[{"role":"user","content":"hi"}],"max_tokens":1}""";
    private const string Prompt = """{"model":"inference-server-demo","prompt":"hi","max_tokens":1}""";

    private TestServer Server => fixture.Server;

    private static string PathOf(string endpoint) => endpoint == "chat" ? "v1/chat/completions" : "v1/completions";

    // A valid one-token request for the endpoint with the properties of the JSON object fields added.
    private static string Body(string endpoint, string fields)
    {
        var body = JsonNode.Parse(endpoint == "chat" ? Chat : Prompt)!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(fields)!.AsObject())
            body[name] = value?.DeepClone();
        return body.ToJsonString();
    }

    private async Task<JsonNode> ErrorAsync(string endpoint, string fields, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        using var response = await Server.PostJsonAsync(PathOf(endpoint), Body(endpoint, fields));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{fields}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        return error;
    }

    [Theory]
    [InlineData("chat", """{"functions":[{"name":"f","parameters":{"type":"object"}}]}""", "functions")]
    [InlineData("chat", """{"modalities":["text","audio"]}""", "modalities")]
    [InlineData("completions", """{"echo":true}""", "echo")]
    [InlineData("completions", """{"echo":true,"logprobs":2}""", "echo")]
    [InlineData("completions", """{"suffix":" the end."}""", "suffix")]
    [InlineData("completions", """{"best_of":3}""", "best_of")]
    [InlineData("completions", """{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}""", "tools")]
    [InlineData("completions", """{"tool_choice":"required"}""", "tool_choice")]
    [InlineData("completions", """{"reasoning_effort":"high"}""", "reasoning_effort")]
    [InlineData("completions", """{"chat_template_kwargs":{"enable_thinking":false}}""", "chat_template_kwargs")]
    [InlineData("completions", """{"max_completion_tokens":5}""", "max_completion_tokens")]
    public async Task Unsupported_fields_are_refused_by_name(string endpoint, string fields, string param)
    {
        var error = await ErrorAsync(endpoint, fields);
        Assert.Equal("unsupported_parameter", (string?)error["code"]);
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains($"'{param}'", (string)error["message"]!);
    }

    [Theory]
    [InlineData("chat", """{"top_logprobs":21}""", "top_logprobs", "invalid_value")]
    [InlineData("chat", """{"logprobs":true,"top_logprobs":21}""", "top_logprobs", "invalid_value")]
    [InlineData("chat", """{"top_logprobs":-1}""", "top_logprobs", "invalid_value")]
    [InlineData("chat", """{"top_logprobs":2}""", "top_logprobs", "invalid_value")]
    [InlineData("chat", """{"logprobs":false,"top_logprobs":0}""", "top_logprobs", "invalid_value")]
    [InlineData("chat", """{"top_logprobs":1.5}""", "top_logprobs", "invalid_type")]
    [InlineData("chat", """{"logprobs":"yes"}""", "logprobs", "invalid_type")]
    [InlineData("chat", """{"user":42}""", "user", "invalid_type")]
    [InlineData("chat", """{"metadata":"tag"}""", "metadata", "invalid_type")]
    [InlineData("chat", """{"store":"no"}""", "store", "invalid_type")]
    [InlineData("chat", """{"tool_choice":"required"}""", "tool_choice", "invalid_value")]
    [InlineData("chat", """{"reasoning_effort":"extreme"}""", "reasoning_effort", "invalid_value")]
    [InlineData("completions", """{"logprobs":6}""", "logprobs", "invalid_value")]
    [InlineData("completions", """{"logprobs":-1}""", "logprobs", "invalid_value")]
    [InlineData("completions", """{"logprobs":true}""", "logprobs", "invalid_type")]
    [InlineData("completions", """{"best_of":21}""", "best_of", "invalid_value")]
    public async Task Values_the_openai_spec_forbids_are_refused_as_openai_does(string endpoint, string fields, string param, string code)
    {
        var error = await ErrorAsync(endpoint, fields);
        Assert.Equal(code, (string?)error["code"]);
        Assert.Equal(param, (string?)error["param"]);
    }

    [Fact]
    public async Task Top_logprobs_without_logprobs_says_what_it_needs()
    {
        var error = await ErrorAsync("chat", """{"top_logprobs":3}""");
        Assert.Contains("'logprobs' is true", (string)error["message"]!);
    }

    [Fact]
    public async Task A_safety_identifier_over_64_characters_is_refused()
    {
        var error = await ErrorAsync("chat", $$"""{"safety_identifier":"{{new string('x', 65)}}"}""");
        Assert.Equal("safety_identifier", (string?)error["param"]);
        Assert.Equal("invalid_value", (string?)error["code"]);
    }

    [Theory]
    [InlineData("chat", """{"user":"user-1234","metadata":{"team":"search"},"store":false,"safety_identifier":"h-1","service_tier":"auto","prompt_cache_key":"k","prompt_cache_retention":"in_memory","some_future_field":{"nested":true}}""")]
    [InlineData("chat", """{"logprobs":false,"tools":[],"tool_choice":"none","parallel_tool_calls":true,"function_call":"none","response_format":{"type":"text"},"modalities":["text"],"reasoning_effort":"none","audio":null,"top_logprobs":null}""")]
    [InlineData("completions", """{"user":"user-1234","echo":false,"best_of":1,"suffix":null,"logprobs":null}""")]
    public async Task Metadata_fields_and_off_values_are_accepted(string endpoint, string fields)
    {
        using var response = await Server.PostJsonAsync(PathOf(endpoint), Body(endpoint, fields));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(1, (int)JsonNode.Parse(text)!["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Capabilities_report_the_running_server_and_the_field_table()
    {
        var caps = JsonNode.Parse(await Server.Http.GetStringAsync("v1/capabilities"))!;

        Assert.Equal(fixture.ModelId, (string?)caps["model"]);
        Assert.Equal("f16", (string?)caps["kv_cache_type"]);
        Assert.Equal(16, (int)caps["block_size"]!);
        Assert.Equal("unified", (string?)caps["kv_layout"]);
        Assert.True((bool)caps["prefix_caching"]!);
        Assert.Equal(Server.Engine.Model!.MaxModelLength, (int)caps["max_model_len"]!);
        Assert.Equal(4096, (int)caps["max_model_len"]!); // the demo model's training context; the pool is sized to it
        Assert.True((bool)caps["has_chat_template"]!); // the demo model carries a ChatML template
        // Its ChatML template prints system turns and any role order, reads neither tools nor enable_thinking, renders no
        // tool calls, and concatenates content with '+', which raises on a list of parts and on null.
        var template = caps["chat_template"]!;
        Assert.Equal("jinja", (string?)template["kind"]);
        Assert.True((bool)template["system_role"]!);
        Assert.False((bool)template["strict_alternation"]!);
        Assert.False((bool)template["tools"]!);
        Assert.Null(template["tool_call_arguments"]);
        Assert.False((bool)template["content_parts"]!);
        Assert.False((bool)template["null_content"]!);
        Assert.False((bool)template["thinking"]!);
        Assert.Equal("generic", (string?)template["tool_call_format"]);
        Assert.False((bool)template["think_tags"]!);
        Assert.Equal(10, template.AsObject().Count);
        Assert.True((bool)caps["tools"]!);
        Assert.True((bool)caps["structured_outputs"]!);
        Assert.True((bool)caps["logprobs"]!);

        var endpoints = caps["endpoints"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Contains("POST /v1/chat/completions", endpoints);
        Assert.Contains("POST /v1/completions", endpoints);
        Assert.Contains("GET /v1/capabilities", endpoints);
        Assert.Contains("GET /v1/models/{id}", endpoints);

        var chat = caps["request_fields"]!["chat_completions"]!;
        AssertLists(chat, RequestFields.Chat);
        AssertLists(caps["request_fields"]!["completions"]!, RequestFields.Completion);
        Assert.Contains("messages", Names(chat["implemented"]));
        Assert.Contains("store", Names(chat["ignored"]));
        Assert.Contains("top_logprobs", Names(chat["implemented"]));
        Assert.Contains("response_format", Names(chat["implemented"]));
        Assert.Contains("grammar", Names(caps["request_fields"]!["completions"]!["implemented"]));
    }

    private static List<string> Names(JsonNode? list) => list!.AsArray().Select(n => (string)n!).ToList();

    private static void AssertLists(JsonNode lists, IReadOnlyList<RequestField> table)
    {
        Assert.Equal(RequestFields.Names(table, FieldSupport.Implemented), Names(lists["implemented"]));
        Assert.Equal(RequestFields.Names(table, FieldSupport.Ignored), Names(lists["ignored"]));
        Assert.Equal(RequestFields.Names(table, FieldSupport.Unsupported), Names(lists["unsupported"]));
    }

    [Fact]
    public async Task Swagger_documents_capabilities_the_415_and_the_field_table()
    {
        var swagger = JsonNode.Parse(await Server.Http.GetStringAsync("swagger/v1/swagger.json"))!;
        var capabilities = swagger["paths"]!["/v1/capabilities"]!["get"]!;
        Assert.Equal("Capabilities", (string?)capabilities["operationId"]);
        Assert.Equal("#/components/schemas/Capabilities",
            (string?)capabilities["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        Assert.NotNull(swagger["components"]!["schemas"]!["Capabilities"]);

        foreach (string path in (string[])["/v1/chat/completions", "/v1/completions"])
        {
            var post = swagger["paths"]![path]!["post"]!;
            Assert.Equal("#/components/schemas/ErrorResponse",
                (string?)post["responses"]!["415"]!["content"]!["application/json"]!["schema"]!["$ref"]);
            Assert.Contains("logprobs", (string)post["requestBody"]!["description"]!);
        }
    }

    [Fact]
    public async Task Capabilities_follow_the_configuration_and_fill_in_model_facts_once_loaded()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = TestModels.Small, ["Engine:KvCacheType"] = "q8_0", ["Engine:BlockSize"] = "8", ["Engine:NumBlocks"] = "40",
        }, gate);

        var before = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("q8_0", (string?)before["kv_cache_type"]);
        Assert.Equal(8, (int)before["block_size"]!);
        Assert.Null(before["max_model_len"]);
        Assert.Null(before["has_chat_template"]);
        Assert.Null(before["chat_template"]);

        gate.SetResult();
        await server.WaitReadyAsync();
        var after = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("q8_0", (string?)after["kv_cache_type"]);
        Assert.Equal(320, (int)after["max_model_len"]!); // 40 blocks × 8 tokens, below the model's 4096-token training context
        Assert.Equal(server.Engine.Model!.MaxModelLength, (int)after["max_model_len"]!);
        Assert.True((bool)after["has_chat_template"]!);
        Assert.Equal("jinja", (string?)after["chat_template"]!["kind"]);
    }

    [SkippableFact]
    public async Task A_model_without_a_chat_template_says_so()
    {
        string? path = SharedFiles.Find("models/stories260K.gguf");
        Skip.If(path is null, "../shared/models/stories260K.gguf is not present");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = path });

        var caps = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("stories260K", (string?)caps["model"]);
        Assert.False((bool)caps["has_chat_template"]!);
        Assert.Equal("plain", (string?)caps["chat_template"]!["kind"]);
        Assert.True((bool)caps["chat_template"]!["system_role"]!); // the plain format prints system text first
        Assert.Equal(server.Engine.Model!.MaxModelLength, (int)caps["max_model_len"]!);
    }
}
