using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Templates.Tests;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof of reasoning on random-weights models with real templates (skipped without ../shared). DeepSeek R1's
/// template opens <c>&lt;think&gt;</c> in the prompt when <c>enable_thinking</c> is true, so the reply starts as
/// reasoning and the tool-call or response_format grammar applies only after <c>&lt;/think&gt;</c>. A random model
/// rarely writes <c>&lt;/think&gt;</c>, so a logit_bias raises it just enough that greedy decoding writes a few
/// reasoning tokens before it (a bias of 100 would make it the first token and leave no reasoning).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReasoningProofTests(DeepSeekR1ServerFixture deepSeekR1, Qwen3ServerFixture qwen3)
    : IClassFixture<DeepSeekR1ServerFixture>, IClassFixture<Qwen3ServerFixture>
{
    // Found by trying biases at temperature 0 on the generated model: the smallest that ends the reasoning in time
    // leaves some of it (4 tokens with the tools prompt, 28 with the schema prompt).
    private const int ThinkEndBiasWithTools = 7;
    private const int ThinkEndBiasWithSchema = 6;
    private const int Qwen3ThinkEndBias = 7;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_required_call_follows_the_reasoning(bool stream)
    {
        deepSeekR1.SkipIfAbsent();
        var request = DeepSeekRequest(ThinkEndBiasWithTools, stream);
        request["tools"] = ProofTools.Tools();
        request["tool_choice"] = "required";
        // With parallel calls the grammar allows call after call, and a random model keeps adding them.
        request["parallel_tool_calls"] = false;

        var choice = await Choice(request, stream);

        string reasoning = (string?)choice["message"]!["reasoning_content"] ?? "";
        Assert.True(reasoning.Length > 0 && !reasoning.Contains("</think>"), choice.ToJsonString());
        ProofTools.AssertCallsOnly(choice, named: null, single: true);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_json_schema_answer_follows_the_reasoning(bool stream)
    {
        deepSeekR1.SkipIfAbsent();
        var request = DeepSeekRequest(ThinkEndBiasWithSchema, stream);
        request["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = "weather", ["strict"] = true, ["schema"] = JsonNode.Parse(ProofTools.WeatherSchema) },
        };

        var choice = await Choice(request, stream);

        string context = choice.ToJsonString();
        Assert.True((string?)choice["finish_reason"] == "stop", context);
        string reasoning = (string?)choice["message"]!["reasoning_content"] ?? "";
        Assert.True(reasoning.Length > 0 && !reasoning.Contains("</think>"), context);
        ProofTools.AssertValidates(ProofTools.WeatherSchema, (string)choice["message"]!["content"]!, context);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_required_call_may_follow_reasoning_the_model_opens_itself(bool stream)
    {
        qwen3.SkipIfAbsent();
        // Qwen3 with thinking on: the prompt does not open <think>, the model may. The bias makes it open one at once
        // (the grammar refuses a second inside), and ends it after a few tokens.
        var request = new JsonObject
        {
            ["model"] = qwen3.ModelId,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
            ["temperature"] = 0,
            ["max_tokens"] = 400,
            ["logit_bias"] = new JsonObject
            {
                [qwen3.TokenId("<think>").ToString()] = 100, [qwen3.TokenId("</think>").ToString()] = Qwen3ThinkEndBias,
            },
            ["tools"] = ProofTools.Tools(),
            ["tool_choice"] = "required",
            ["parallel_tool_calls"] = false,
            ["stream"] = stream,
        };

        var choice = stream
            ? StreamedChoice.Assemble(await qwen3.Server!.StreamAsync("v1/chat/completions", request))
            : (await qwen3.Server!.ChatAsync(request))["choices"]![0]!;

        string reasoning = (string?)choice["message"]!["reasoning_content"] ?? "";
        Assert.True(reasoning.Length > 0 && !reasoning.Contains("think>"), choice.ToJsonString());
        ProofTools.AssertCallsOnly(choice, named: null, single: true);
    }

    [SkippableFact]
    public async Task A_reply_cut_inside_the_reasoning_is_all_reasoning()
    {
        deepSeekR1.SkipIfAbsent();
        var request = DeepSeekRequest(thinkEndBias: 0, stream: false);
        request["max_tokens"] = 8;

        var response = await deepSeekR1.Server!.ChatAsync(request);

        var choice = response["choices"]![0]!;
        Assert.True((string?)choice["finish_reason"] == "length", choice.ToJsonString());
        Assert.False(string.IsNullOrEmpty((string?)choice["message"]!["reasoning_content"]));
        Assert.True(string.IsNullOrEmpty((string?)choice["message"]!["content"]), choice.ToJsonString());
        Assert.Equal(8, (int)response["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!);
    }

    [SkippableFact]
    public async Task Reasoning_effort_none_renders_the_template_without_thinking()
    {
        qwen3.SkipIfAbsent();
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is 17 * 3?" });

        var response = await qwen3.Server!.ChatAsync(new JsonObject
        {
            ["model"] = qwen3.ModelId, ["messages"] = messages.DeepClone(), ["max_tokens"] = 1, ["reasoning_effort"] = "none",
        });

        int withoutThinking = ReferencePromptTokens(qwen3, messages, enableThinking: false);
        Assert.NotEqual(ReferencePromptTokens(qwen3, messages, enableThinking: true), withoutThinking);
        Assert.Equal(withoutThinking, (int)response["usage"]!["prompt_tokens"]!);
    }

    private JsonObject DeepSeekRequest(int thinkEndBias, bool stream) => new()
    {
        ["model"] = deepSeekR1.ModelId,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
        ["temperature"] = 0,
        ["max_tokens"] = 400,
        ["logit_bias"] = new JsonObject { [deepSeekR1.TokenId("</think>").ToString()] = thinkEndBias },
        // The template closes the think block in the prompt unless enable_thinking is true.
        ["chat_template_kwargs"] = new JsonObject { ["enable_thinking"] = true },
        ["stream"] = stream,
    };

    private async Task<JsonNode> Choice(JsonObject request, bool stream) => stream
        ? StreamedChoice.Assemble(await deepSeekR1.Server!.StreamAsync("v1/chat/completions", request))
        : (await deepSeekR1.Server!.ChatAsync(request))["choices"]![0]!;

    private static int ReferencePromptTokens(TemplateModelServerFixture fixture, JsonArray messages, bool enableThinking)
    {
        var spec = fixture.Spec!;
        var variables = new JsonObject
        {
            ["messages"] = messages.DeepClone(),
            ["add_generation_prompt"] = true,
            ["enable_thinking"] = enableThinking,
            ["bos_token"] = spec.SpecialTokens.Bos,
            ["eos_token"] = spec.SpecialTokens.Eos,
        };
        var result = ReferenceRenderer.Render(new() { ["t"] = spec.ChatTemplate! }, [("t", variables)], DateTime.Now)[0];
        Assert.True(result.Ok, result.Error);
        return fixture.Server!.Model.Tokenizer.Tokenize(result.Output!, parseSpecial: true).Length;
    }
}
