using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Testing;

namespace InferenceServer.Api.Tests;

/// <summary>Refusals and error bodies of the HTTP surface; on the fake model (see <see cref="ContractCollection"/>).</summary>
[Collection(ContractCollection.Name)]
public sealed class ErrorTests(ContractServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private const string Model = "inference-server-demo";
    private const string User = """[{"role":"user","content":"hi"}]""";

    // The endpoint's prompt field: messages for chat, prompt for completions (each refuses the other's).
    private static string PromptOf(string path) => path.Contains("chat") ? "\"messages\":" + User : "\"prompt\":\"hi\"";

    private static async Task<JsonNode> AssertError(HttpResponseMessage response, HttpStatusCode status, string? param, string? code = null)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)error["type"]));
        Assert.Equal(param, (string?)error["param"]);
        if (code is not null)
            Assert.Equal(code, (string?)error["code"]);
        Assert.True(error.AsObject().ContainsKey("param") && error.AsObject().ContainsKey("code"));
        return error;
    }

    [Theory]
    [InlineData("{\"model\": ", null, "invalid_json")]
    [InlineData("[1,2]", null, "invalid_json")]
    [InlineData("{\"messages\":" + User + "}", "model", "missing_required_parameter")]
    [InlineData("{\"model\":\"" + Model + "\"}", "messages", "missing_required_parameter")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[]}", "messages", "empty_array")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":\"hi\"}", "messages", "invalid_type")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", "messages[0].role", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role", "missing_required_parameter")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content", "missing_required_parameter")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages[0].content[0].type", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"temperature\":\"hot\"}", "temperature", "invalid_type")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"temperature\":2.5}", "temperature", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"temperature\":-0.1}", "temperature", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"top_p\":1.5}", "top_p", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_tokens\":0}", "max_tokens", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_completion_tokens\":-3}", "max_completion_tokens", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_tokens\":1.5}", "max_tokens", "invalid_type")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"stream\":\"yes\"}", "stream", "invalid_type")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"presence_penalty\":3}", "presence_penalty", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"abc\":1}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"99999999\":1}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"n\":100}", "n", "invalid_value")]
    [InlineData("{\"model\":\"\",\"messages\":" + User + "}", "model", "missing_required_parameter")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}", "messages[0].content", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", "messages[0].content", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"5\":\"x\"}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"stream_options\":{\"include_usage\":1}}", "stream_options.include_usage", "invalid_type")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_tokens\":2147483647}", "messages", "context_length_exceeded")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"n\":0}", "n", "invalid_value")]
    // Lone surrogate escapes anywhere in the body, not only in the fields the parser reads as text.
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"\\ud800\":1}", null, "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"tool_choice\":\"\\ud800\"}", "tool_choice", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"response_format\":{\"type\":\"\\ud800\"}}", "response_format.type", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"\\ud800\":1}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"modalities\":[\"\\ud800\"]}", "modalities[0]", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\" 1\":1}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"01\":1}}", "logit_bias", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"logit_bias\":{\"-1\":1}}", "logit_bias", "invalid_value")]
    // max_tokens is checked even when max_completion_tokens is given (and wins).
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_completion_tokens\":2,\"max_tokens\":0}", "max_tokens", "invalid_value")]
    [InlineData("{\"model\":\"" + Model + "\",\"messages\":" + User + ",\"max_completion_tokens\":2,\"max_tokens\":\"bogus\"}", "max_tokens", "invalid_type")]
    public async Task Bad_chat_requests_get_400_naming_the_parameter(string body, string? param, string code)
    {
        using var response = await Server.PostJsonAsync("v1/chat/completions", body);
        var error = await AssertError(response, HttpStatusCode.BadRequest, param, code);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
    }

    [Theory]
    [InlineData("{\"model\":\"" + Model + "\"}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":42}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":\"\"}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":\"hi\",\"top_p\":-1}", "top_p")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":[1,-2]}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":[1,99999999]}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":\"\\udc00x\"}", "prompt")]
    [InlineData("{\"model\":\"" + Model + "\",\"prompt\":\"hi\",\"user\":[\"\\ud800\"]}", "user[0]")]
    public async Task Bad_completion_requests_get_400_naming_the_parameter(string body, string param)
    {
        using var response = await Server.PostJsonAsync("v1/completions", body);
        await AssertError(response, HttpStatusCode.BadRequest, param);
    }

    [Theory]
    [InlineData("[\"a\",\"b\"]", 2)]
    [InlineData("[[1,2],[3]]", 2)]
    [InlineData("[\"a\",[3],\"c\"]", 3)]
    public async Task Batched_prompts_are_refused_saying_so(string prompt, int count)
    {
        using var response = await Server.PostJsonAsync("v1/completions", "{\"model\":\"" + Model + "\",\"prompt\":" + prompt + "}");
        var error = await AssertError(response, HttpStatusCode.BadRequest, "prompt", "unsupported_value");
        Assert.StartsWith($"Batched prompts ({count} prompts in one request) are not supported", (string)error["message"]!);
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("v1/completions")]
    public async Task Unknown_model_is_404(string path)
    {
        using var response = await Server.PostJsonAsync(path, "{\"model\":\"gpt-9\"," + PromptOf(path) + "}");
        await AssertError(response, HttpStatusCode.NotFound, "model", "model_not_found");
        using var get = await Server.Http.GetAsync("v1/models/gpt-9");
        await AssertError(get, HttpStatusCode.NotFound, "model", "model_not_found");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Prompt_plus_max_tokens_beyond_the_context_is_400_before_any_stream_byte(bool stream)
    {
        int maxModelLength = Server.Engine.Model!.MaxModelLength;
        using var response = await Server.PostAsync("v1/chat/completions", new
        {
            model = fixture.ModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = maxModelLength, stream,
        }, HttpCompletionOption.ResponseHeadersRead);

        var error = await AssertError(response, HttpStatusCode.BadRequest, "messages", "context_length_exceeded");
        Assert.Contains(maxModelLength.ToString(), (string)error["message"]!);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_400_even_without_max_tokens()
    {
        string longText = string.Join(' ', Enumerable.Repeat("people world", Server.Engine.Model!.MaxModelLength));
        using var response = await Server.PostAsync("v1/completions", new { model = fixture.ModelId, prompt = longText });
        await AssertError(response, HttpStatusCode.BadRequest, "prompt", "context_length_exceeded");
    }

    [Fact]
    public async Task Messages_longer_than_any_template_renders_are_refused_for_the_context_not_the_template()
    {
        // 5 Mi characters: over the template's render budget (4 Mi), and over the context whatever the tokenizer.
        string huge = new('a', 5 * 1024 * 1024);
        using var response = await Server.PostAsync("v1/chat/completions", new
        {
            model = fixture.ModelId, messages = new[] { new { role = "system", content = "be brief" }, new { role = "user", content = huge } },
        });

        var error = await AssertError(response, HttpStatusCode.BadRequest, "messages", "context_length_exceeded");
        Assert.StartsWith($"This model's maximum context length is {Server.Engine.Model!.MaxModelLength} tokens. However, your messages resulted in at least ",
            (string)error["message"]!);
    }

    [Fact]
    public async Task Unknown_fields_are_refused_by_name_and_the_server_keeps_serving_after_errors()
    {
        using (await Server.PostJsonAsync("v1/chat/completions", "{not json")) { }
        var messages = new[] { new { role = "user", content = "hi" } };
        using var typo = await Server.PostAsync("v1/chat/completions", new { model = fixture.ModelId, messages, max_token = 2 });
        var error = await AssertError(typo, HttpStatusCode.BadRequest, "max_token", "unknown_parameter");
        Assert.Contains("max_token", (string?)error["message"]);
        // A completions field on chat, and a future field on completions, are unknown there too.
        using var prompt = await Server.PostAsync("v1/chat/completions", new { model = fixture.ModelId, messages, prompt = "hi" });
        await AssertError(prompt, HttpStatusCode.BadRequest, "prompt", "unknown_parameter");
        using var future = await Server.PostAsync("v1/completions", new { model = fixture.ModelId, prompt = "hi", some_future_field = 1 });
        await AssertError(future, HttpStatusCode.BadRequest, "some_future_field", "unknown_parameter");

        // A long name is cut in the error, which stays small.
        string longName = new('k', 100_000);
        using var huge = await Server.PostJsonAsync("v1/chat/completions",
            $$"""{"model":"{{fixture.ModelId}}","messages":[{"role":"user","content":"hi"}],"{{longName}}":1}""");
        var cut = await AssertError(huge, HttpStatusCode.BadRequest, new string('k', 64) + "…", "unknown_parameter");
        Assert.True(cut.ToJsonString().Length < 1000);

        var ok = await Server.ChatAsync(new { model = fixture.ModelId, messages, max_tokens = 2, user = "abc", logprobs = false });
        Assert.Equal(2, (int)ok["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task With_IgnoreUnknownFields_unknown_fields_are_ignored()
    {
        await using var lenient = await TestServer.StartFakeAsync(new Dictionary<string, string?> { ["Server:IgnoreUnknownFields"] = "true" });
        var ok = await lenient.ChatAsync(new
        {
            model = lenient.ModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2,
            some_future_field = new { nested = true },
        });
        Assert.Equal(2, (int)ok["usage"]!["completion_tokens"]!);
        var nested = await lenient.ChatAsync(new
        {
            model = lenient.ModelId, messages = new[] { new { role = "user", content = "hi", cache_control = new { type = "ephemeral" } } },
            max_tokens = 2,
        });
        Assert.Equal(2, (int)nested["usage"]!["completion_tokens"]!);
    }

    private const string Assistant = """,{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]""";
    private const string ToolReply = """,{"role":"tool","tool_call_id":"c1","content":"ok"}""";
    private const string Tools = ""","tools":[{"type":"function","function":{"name":"f"}}]""";

    [Theory]
    [InlineData("""[{"role":"user","content":"hi","foo":1}]""", "", "messages[0].foo", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":"hi","tool_calls":[]}]""", "", "messages[0].tool_calls", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{}}]}]""", "", "messages[0].content[0].cache_control", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":"hi"}""" + Assistant + ""","foo":1}""" + ToolReply + "]", Tools, "messages[1].foo", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","x":1,"function":{"name":"f","arguments":"{}"}}]}""" + ToolReply + "]", Tools, "messages[1].tool_calls[0].x", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}","x":1}}]}""" + ToolReply + "]", Tools, "messages[1].tool_calls[0].function.x", "unknown_parameter")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","content":"a","audio":{"id":"au_1"}},{"role":"user","content":"b"}]""", "", "messages[1].audio", "unsupported_parameter")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","content":"a","refusal":"no"},{"role":"user","content":"b"}]""", "", "messages[1].refusal", "unsupported_parameter")]
    [InlineData(User, ""","tools":[{"type":"function","foo":1,"function":{"name":"f"}}]""", "tools[0].foo", "unknown_parameter")]
    [InlineData(User, ""","tools":[{"type":"function","function":{"name":"f","foo":1}}]""", "tools[0].function.foo", "unknown_parameter")]
    [InlineData(User, Tools + ""","tool_choice":{"type":"function","function":{"name":"f","foo":1}}""", "tool_choice.function.foo", "unknown_parameter")]
    [InlineData(User, ""","response_format":{"type":"json_object","x":1}""", "response_format.x", "unknown_parameter")]
    [InlineData(User, ""","response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{},"foo":1}}""", "response_format.json_schema.foo", "unknown_parameter")]
    [InlineData(User, ""","stream":true,"stream_options":{"bogus":true}""", "stream_options.bogus", "unknown_parameter")]
    [InlineData(User, ""","stream":true,"stream_options":{"include_obfuscation":true}""", "stream_options.include_obfuscation", "unsupported_parameter")]
    public async Task Unknown_fields_inside_nested_objects_are_refused_by_path(string messages, string extra, string param, string code)
    {
        using var response = await Server.PostJsonAsync("v1/chat/completions", "{\"model\":\"" + Model + "\",\"messages\":" + messages + extra + "}");
        var error = await AssertError(response, HttpStatusCode.BadRequest, param, code);
        Assert.Contains(param, (string)error["message"]!);
    }

    [Fact]
    public async Task An_assistant_message_echoed_back_with_its_empty_response_fields_is_accepted()
    {
        string body = "{\"model\":\"" + Model + "\",\"max_tokens\":2" + Tools + ""","stream_options":{"include_usage":true,"include_obfuscation":false},"stream":true,""" +
            "\"messages\":" + """[{"role":"user","content":[{"type":"text","text":"hi"}]},""" +
            """{"role":"assistant","content":null,"refusal":null,"annotations":[],"audio":null,"function_call":null,""" +
            "\"tool_calls\":" + """[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},""" +
            """{"role":"tool","tool_call_id":"c1","name":"f","content":"ok"}]}""";

        using var response = await Server.PostJsonAsync("v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"completion_tokens\":2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Oversized_lists_are_refused_quickly_instead_of_parsed_for_minutes()
    {
        var bias = Enumerable.Range(0, 5000).ToDictionary(i => i.ToString(), _ => 1);
        var started = DateTime.UtcNow;
        using var tooManyBiases = await Server.PostAsync("v1/completions", new { model = Model, prompt = "hi", logit_bias = bias });
        await AssertError(tooManyBiases, HttpStatusCode.BadRequest, "logit_bias");

        var messages = Enumerable.Repeat(new { role = "user", content = "x" }, 20_000).ToArray();
        using var tooManyMessages = await Server.PostAsync("v1/chat/completions", new { model = Model, messages });
        await AssertError(tooManyMessages, HttpStatusCode.BadRequest, "messages");

        var fitsNoContext = Enumerable.Repeat(new { role = "user", content = "x" }, 5_000).ToArray();
        using var overContext = await Server.PostAsync("v1/chat/completions", new { model = Model, messages = fitsNoContext });
        await AssertError(overContext, HttpStatusCode.BadRequest, "messages", "context_length_exceeded");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_unknown_routes_and_methods_get_error_json()
    {
        string huge = new('a', 9 << 20);
        // Expect: 100-continue lets the server refuse before the client has sent 9 MiB (as curl does for large bodies).
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent("{\"model\":\"" + Model + "\",\"prompt\":\"" + huge + "\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var tooBig = await Server.Http.SendAsync(request);
        await AssertError(tooBig, HttpStatusCode.RequestEntityTooLarge, null, "request_too_large");

        using var wrongMethod = await Server.Http.GetAsync("v1/chat/completions");
        await AssertError(wrongMethod, HttpStatusCode.MethodNotAllowed, null);
        using var unknown = await Server.Http.GetAsync("v1/nothing-here");
        await AssertError(unknown, HttpStatusCode.NotFound, null);
    }

    private static ByteArrayContent Body(string json, string? contentType)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(json));
        if (contentType is not null)
            Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        return content;
    }

    [Theory]
    [InlineData("v1/chat/completions", "text/plain")]
    [InlineData("v1/chat/completions", "application/x-www-form-urlencoded")]
    [InlineData("v1/chat/completions", "multipart/form-data; boundary=b")]
    [InlineData("v1/chat/completions", null)]
    [InlineData("v1/completions", "text/plain;charset=UTF-8")]
    [InlineData("v1/completions", "application/x-www-form-urlencoded")]
    [InlineData("v1/completions", "application/json-seq")]
    [InlineData("v1/completions", null)]
    public async Task A_body_not_declared_as_application_json_is_415_before_it_is_read(string path, string? contentType)
    {
        // What a web page can send cross-origin without a CORS preflight must not make the server generate.
        string valid = "{\"model\":\"" + Model + "\"," + PromptOf(path) + ",\"max_tokens\":1}";
        using var served = await Server.Http.PostAsync(path, Body(valid, contentType));
        var error = await AssertError(served, HttpStatusCode.UnsupportedMediaType, null, "unsupported_media_type");
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Contains("application/json", (string)error["message"]!);

        using var malformed = await Server.Http.PostAsync(path, Body("{not json", contentType));
        await AssertError(malformed, HttpStatusCode.UnsupportedMediaType, null, "unsupported_media_type");
    }

    [Theory]
    [InlineData("v1/chat/completions", "application/json; charset=utf-8")]
    [InlineData("v1/completions", "Application/JSON")]
    public async Task Json_with_parameters_or_in_any_case_is_served(string path, string contentType)
    {
        string valid = "{\"model\":\"" + Model + "\"," + PromptOf(path) + ",\"max_tokens\":1}";
        using var response = await Server.Http.PostAsync(path, Body(valid, contentType));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(1, (int)JsonNode.Parse(text)!["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Token_id_prompts_are_served()
    {
        using var ids = await Server.PostAsync("v1/completions", new { model = Model, prompt = new[] { 1, 500, 600, 700 }, max_tokens = 2 });
        var body = JsonNode.Parse(await ids.Content.ReadAsStringAsync())!;
        Assert.Equal(4, (int)body["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task A_client_that_hangs_up_mid_body_is_refused_as_a_400_and_the_server_stays_up()
    {
        const string refused = "inference_server_http_requests_total{endpoint=\"chat.completions\",status=\"400\"}";
        async Task<double> Refused() => double.Parse((await Server.Http.GetStringAsync("metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith(refused))?.Split(' ')[1] ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        double before = await Refused();

        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(Server.BaseAddress.Host, Server.BaseAddress.Port);
            string head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {Server.BaseAddress.Authority}\r\n" +
                          "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":";
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
            client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            try
            {
                await new StreamReader(stream).ReadToEndAsync();
            }
            catch (IOException)
            {
                // Kestrel may reset a connection whose body ended early; the server's side is what this test checks.
            }
        }

        // Counted as refused by the handler (an escaped exception would be a 500 and an error log instead).
        await Poll.UntilAsync(async () => await Refused() != before, TimeSpan.FromSeconds(10),
            "the truncated request was never answered as a 400", TimeSpan.FromMilliseconds(20));
        using var after = await Server.PostAsync("v1/chat/completions", new { model = Model, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 1 });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
