using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Every OpenAI request field is honoured or refused by name over HTTP (<see cref="CapabilityTests"/> checks that
/// <c>GET /v1/capabilities</c> reports them). Refusals happen before the engine; accepted requests generate one token.
/// On the fake model (see <see cref="ContractCollection"/>).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class RequestFieldTests(ContractServerFixture fixture)
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
    [InlineData("""{"functions":[{"name":"f","parameters":{"type":"object"}}]}""", "functions")]
    [InlineData("""{"audio":{"voice":"x"}}""", "audio")]
    [InlineData("""{"safety_identifier":"h-1"}""", "safety_identifier")]
    [InlineData("""{"metadata":{"a":"b"}}""", "metadata")]
    public async Task Chat_fields_this_server_ignores_or_refuses_are_unknown_on_completions(string fields, string param)
    {
        var error = await ErrorAsync("completions", fields);
        Assert.Equal("unknown_parameter", (string?)error["code"]);
        Assert.Equal(param, (string?)error["param"]);
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
    [InlineData("completions", """{"messages":[{"role":"user","content":"hi"}]}""", "messages")]
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
    [InlineData("completions", """{"n":2,"best_of":1}""", "best_of", "invalid_value")]
    [InlineData("chat", """{"stream_options":{"include_usage":true}}""", "stream_options", "invalid_value")]
    [InlineData("chat", """{"metadata":{"a":1}}""", "metadata.a", "invalid_type")]
    [InlineData("chat", """{"metadata":{"a":"x","b":"x","c":"x","d":"x","e":"x","f":"x","g":"x","h":"x","i":"x","j":"x","k":"x","l":"x","m":"x","n":"x","o":"x","p":"x","q":"x"}}""", "metadata", "invalid_value")]
    [InlineData("chat", """{"service_tier":"x"}""", "service_tier", "invalid_value")]
    [InlineData("chat", """{"messages":[{"role":"user","content":[]}]}""", "messages[0].content", "empty_array")]
    [InlineData("completions", """{"prompt":[]}""", "prompt", "empty_array")]
    [InlineData("completions", """{"seed":9223372036854775808}""", "seed", "invalid_value")]
    [InlineData("completions", """{"seed":-9223372036854775809}""", "seed", "invalid_value")]
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
    [InlineData("chat", """{"user":"user-1234","metadata":{"team":"search"},"store":false,"safety_identifier":"h-1","service_tier":"auto","prompt_cache_key":"k","prompt_cache_retention":"in_memory"}""")]
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
}
