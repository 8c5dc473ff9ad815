using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Templates.Tests;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof that history and template options reach gpt-oss's template as it reads them (skipped without ../shared or
/// Python's jinja2): the server's prompt has exactly as many tokens as the reference rendering (Python jinja2) of the
/// same conversation in the template's own terms, and not as many as the rendering without the detail under test.
/// An assistant turn's <c>reasoning_content</c> is the template's <c>thinking</c>; <c>reasoning_effort</c> its
/// <c>Reasoning:</c> line; two calls in one turn render as two turns, each followed by its own result.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HarmonyHistoryProofTests(GptOssServerFixture gptOss) : IClassFixture<GptOssServerFixture>
{
    private const string Weather = """{"city": "Paris", "unit": "celsius"}""";
    private const string Booking = """{"restaurant": "Luigi", "party": {"adults": 2}}""";

    [SkippableFact]
    public async Task Reasoning_content_of_a_turn_with_a_call_is_rendered_as_its_thinking()
    {
        SkipIfAbsent();
        var request = Conversation(new JsonObject
        {
            ["role"] = "assistant", ["content"] = null, ["reasoning_content"] = "The user wants the weather.",
            ["tool_calls"] = new JsonArray(Call("call_1", "get_weather", Weather)),
        }, Result("call_1", "Sunny."));

        int served = await PromptTokensAsync(request);

        var thinking = Reference([User(), new JsonObject
        {
            ["role"] = "assistant", ["thinking"] = "The user wants the weather.",
            ["tool_calls"] = new JsonArray(ReferenceCall("get_weather", Weather)),
        }, ReferenceResult("Sunny.")]);
        var without = Reference([User(), new JsonObject
        {
            ["role"] = "assistant", ["content"] = "", ["tool_calls"] = new JsonArray(ReferenceCall("get_weather", Weather)),
        }, ReferenceResult("Sunny.")]);
        Assert.NotEqual(without, thinking);
        Assert.Equal(thinking, served);
    }

    [SkippableFact]
    public async Task Reasoning_effort_is_the_templates_reasoning_line()
    {
        SkipIfAbsent();
        var request = new JsonObject { ["model"] = gptOss.ModelId, ["messages"] = new JsonArray(User()), ["max_tokens"] = 1, ["reasoning_effort"] = "high" };

        int served = await PromptTokensAsync(request);

        var high = Render([User()], new JsonObject { ["reasoning_effort"] = "high" });
        var medium = Render([User()]);
        Assert.Contains("Reasoning: high", high.Text);
        Assert.Contains("Reasoning: medium", medium.Text);
        Assert.NotEqual(medium.Tokens, high.Tokens);
        Assert.Equal(high.Tokens, served);
    }

    [SkippableFact]
    public async Task Two_calls_in_one_turn_render_as_two_turns_each_with_its_result()
    {
        SkipIfAbsent();
        var request = Conversation(new JsonObject
        {
            ["role"] = "assistant", ["content"] = null,
            ["tool_calls"] = new JsonArray(Call("call_1", "get_weather", Weather), Call("call_2", "book_table", Booking)),
        }, Result("call_1", "Sunny."), Result("call_2", "Booked."));

        int served = await PromptTokensAsync(request);

        var split = Render([
            User(),
            new JsonObject { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = new JsonArray(ReferenceCall("get_weather", Weather)) },
            ReferenceResult("Sunny."),
            new JsonObject { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = new JsonArray(ReferenceCall("book_table", Booking)) },
            ReferenceResult("Booked."),
        ]);
        Assert.Contains("<|start|>functions.book_table to=assistant", split.Text);
        Assert.Equal(split.Tokens, served);
    }

    private void SkipIfAbsent()
    {
        gptOss.SkipIfAbsent();
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
    }

    private JsonObject Conversation(JsonObject assistant, params JsonObject[] results) => new()
    {
        ["model"] = gptOss.ModelId,
        ["messages"] = new JsonArray([User(), assistant, .. results]),
        ["tools"] = ProofTools.Tools(),
        ["max_tokens"] = 1,
    };

    private async Task<int> PromptTokensAsync(JsonObject request) =>
        (int)(await gptOss.Server!.ChatAsync(request))["usage"]!["prompt_tokens"]!;

    private static JsonObject User() => new() { ["role"] = "user", ["content"] = "Weather in Paris, then a table at Luigi's?" };

    private static JsonObject Call(string id, string name, string arguments) => new()
    {
        ["id"] = id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments },
    };

    private static JsonObject Result(string id, string text) => new() { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = text };

    private static JsonObject ReferenceCall(string name, string arguments) => new()
    {
        ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = JsonNode.Parse(arguments) },
    };

    private static JsonObject ReferenceResult(string text) => new() { ["role"] = "tool", ["content"] = text };

    private int Reference(JsonObject[] messages) => Render(messages).Tokens;

    // The reference prompt (with the request's tools, except for a lone user turn) and its token count.
    private (string Text, int Tokens) Render(JsonObject[] messages, JsonObject? extra = null)
    {
        var spec = gptOss.Spec!;
        var variables = new JsonObject
        {
            ["messages"] = new JsonArray([.. messages.Select(m => m.DeepClone())]),
            ["add_generation_prompt"] = true,
            ["bos_token"] = spec.SpecialTokens.Bos,
            ["eos_token"] = spec.SpecialTokens.Eos,
        };
        if (messages.Length > 1)
            variables["tools"] = ProofTools.Tools();
        foreach (var (key, value) in extra ?? [])
            variables[key] = value?.DeepClone();
        var result = ReferenceRenderer.Render(new() { ["t"] = spec.ChatTemplate! }, [("t", variables)], DateTime.Now)[0];
        Assert.True(result.Ok, result.Error);
        return (result.Output!, gptOss.Server!.Model.Tokenizer.Tokenize(result.Output!, parseSpecial: true).Length);
    }
}
