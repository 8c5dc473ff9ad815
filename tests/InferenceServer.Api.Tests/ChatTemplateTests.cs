using System.ClientModel;
using System.Net;
using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.ModelGeneration;
using InferenceServer.Templates.Tests;
using OpenAI;
using OpenAI.Chat;

namespace InferenceServer.Api.Tests;

/// <summary>
/// The server renders chat prompts with the model's own Jinja template: a generated model carrying a template of
/// our own (BOS, a kwarg, raise_exception) served over Kestrel; prompt token counts must equal the token count of
/// Python jinja2's render of the same template (reference_render.py, skipped without python3 + jinja2).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ChatTemplateTests(ChatTemplateTests.TemplateModelServer fixture) : IClassFixture<ChatTemplateTests.TemplateModelServer>
{
    private const string Template =
        "{% if refuse is defined %}{{ raise_exception(refuse) }}{% endif %}{{ bos_token }}{% for m in messages %}" +
        "{% if not loop.first and m.role == loop.previtem.role %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}" +
        "<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}" +
        "{% if add_generation_prompt %}<|im_start|>assistant\n" +
        "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}";

    private TestServer Server => fixture.Server;

    [SkippableFact]
    public async Task The_sdk_prompt_is_the_jinja2_render_of_the_models_template()
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        Assert.Equal(Engine.Models.ChatTemplateKind.Jinja, Server.Model.Chat.Kind);
        var chat = new ChatClient(Server.Model.ModelId, new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(Server.BaseAddress, "v1") });

        ChatCompletion completion = await chat.CompleteChatAsync(
            [new SystemChatMessage("  Be brief.  "), new UserChatMessage("Name a colour.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 2, Temperature = 0 });

        int expected = ReferencePromptTokens(Messages(("system", "  Be brief.  "), ("user", "Name a colour.")), extra: null);
        Assert.Equal(expected, completion.Usage.InputTokenCount);
    }

    [SkippableFact]
    public async Task Chat_template_kwargs_reach_the_template()
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var messages = Messages(("user", "Hello"));
        var plain = await Server.ChatAsync(new { model = Server.Model.ModelId, messages, max_tokens = 1 });
        var thinkingOff = await Server.ChatAsync(new
        {
            model = Server.Model.ModelId, messages, max_tokens = 1, chat_template_kwargs = new { enable_thinking = false },
        });

        Assert.Equal(ReferencePromptTokens(messages, extra: null), (int)plain["usage"]!["prompt_tokens"]!);
        Assert.Equal(ReferencePromptTokens(messages, new JsonObject { ["enable_thinking"] = false }),
            (int)thinkingOff["usage"]!["prompt_tokens"]!);
        Assert.True((int)thinkingOff["usage"]!["prompt_tokens"]! > (int)plain["usage"]!["prompt_tokens"]!);
    }

    [SkippableFact]
    public async Task Same_role_turns_are_merged_for_a_template_that_requires_alternation()
    {
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        Assert.True(Server.Model.Chat.Capabilities.StrictAlternation);

        var response = await Server.ChatAsync(new { model = Server.Model.ModelId, messages = Messages(("user", "one"), ("user", "two")), max_tokens = 1 });

        Assert.Equal(ReferencePromptTokens(Messages(("user", "one\n\ntwo")), extra: null), (int)response["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task A_template_error_is_a_400_with_the_templates_message()
    {
        using var response = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.Model.ModelId, messages = Messages(("user", "one")), max_tokens = 1,
            chat_template_kwargs = new { refuse = "Refused by the template" },
        });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Refused by the template", (string?)error["message"]);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal("messages", (string?)error["param"]);
        Assert.Equal("chat_template_error", (string?)error["code"]);
    }

    [Fact]
    public async Task Chat_template_kwargs_cannot_replace_what_the_server_sets()
    {
        using var response = await Server.PostAsync("v1/chat/completions", new
        {
            model = Server.Model.ModelId, messages = Messages(("user", "hi")), max_tokens = 1,
            chat_template_kwargs = new { add_generation_prompt = false },
        });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("chat_template_kwargs", (string?)error["param"]);
    }

    private static object[] Messages(params (string Role, string Content)[] messages) =>
        messages.Select(m => (object)new { role = m.Role, content = m.Content }).ToArray();

    /// <summary>Tokens of jinja2's render, as the server tokenizes a prompt (the tokenizer adds BOS itself, so the template's leading BOS text is dropped).</summary>
    private int ReferencePromptTokens(object[] messages, JsonObject? extra)
    {
        var variables = new JsonObject
        {
            ["messages"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(messages)),
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        };
        foreach (var (k, v) in extra ?? []) variables[k] = v?.DeepClone();
        var result = ReferenceRenderer.Render(new() { ["t"] = Template }, [("t", variables)], DateTime.UnixEpoch)[0];
        Assert.True(result.Ok, result.Error);
        Assert.StartsWith("<s>", result.Output);
        Assert.True(Server.Model.Tokenizer.AddBos);
        return Server.Model.Tokenizer.Tokenize(result.Output!["<s>".Length..], parseSpecial: true).Length;
    }

    /// <summary>A server on a tiny generated model whose GGUF carries <see cref="Template"/>.</summary>
    public sealed class TemplateModelServer : IAsyncLifetime
    {
        public TestServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var spec = SyntheticModelSpec.Tiny with { Name = "synthetic-templated", ChatTemplate = Template };
            string path = Path.Combine(TestServer.DataDirectory, spec.GetCacheFileName(seed: 7));
            if (!File.Exists(path))
                SyntheticModelWriter.Write(spec, 7, path);
            Server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = path });
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
