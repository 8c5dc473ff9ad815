using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Tool calls on generated models carrying each family's real template and special tokens (skipped without
/// ../shared): a grammar makes the model write the family's call, with its marker tokens (e.g. the control tokens
/// <c>[TOOL_CALLS]</c> and <c>&lt;|python_tag|&gt;</c>, pushed by logit_bias so the special token, not its spelling,
/// is sampled), and the server must return the call, never the markup.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FamilyToolCallTests(
    Qwen25ServerFixture qwen25, Qwen3ServerFixture qwen3, Hermes2ProServerFixture hermes2Pro, Llama31ServerFixture llama31,
    MistralNemoServerFixture mistralNemo, MistralSmallServerFixture mistralSmall, DeepSeekR1ServerFixture deepSeekR1,
    DeepSeekV31ServerFixture deepSeekV31)
    : IClassFixture<Qwen25ServerFixture>, IClassFixture<Qwen3ServerFixture>, IClassFixture<Hermes2ProServerFixture>,
      IClassFixture<Llama31ServerFixture>, IClassFixture<MistralNemoServerFixture>, IClassFixture<MistralSmallServerFixture>,
      IClassFixture<DeepSeekR1ServerFixture>, IClassFixture<DeepSeekV31ServerFixture>
{
    private const string Json = "{\"city\": \"Paris\"}";

    public static TheoryData<string, string, string, string> Families => new()
    {
        { "Qwen2.5", "hermes", $"<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {Json}}}\n</tool_call>", "" },
        { "Qwen3", "hermes", $"<think>\nNeed the weather.\n</think>\n\n<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {Json}}}\n</tool_call>", "Need the weather." },
        { "Hermes2Pro", "hermes", $"<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {Json}}}\n</tool_call>", "" },
        { "Llama3.1", "llama3_json", $"<|python_tag|>{{\"name\": \"get_weather\", \"parameters\": {Json}}}", "" },
        { "MistralNemo", "mistral_json", $"[TOOL_CALLS][{{\"name\": \"get_weather\", \"arguments\": {Json}}}]", "" },
        { "MistralSmall", "mistral_args", $"[TOOL_CALLS]get_weather[ARGS]{Json}", "" },
        { "DeepSeekR1", "deepseek_r1", $"Need the weather.</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{Json}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>", "Need the weather." },
        { "DeepSeekV3.1", "deepseek_v3_1", $"Need the weather.</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{Json}<｜tool▁call▁end｜><｜tool▁calls▁end｜>", "Need the weather." },
    };

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task The_familys_call_comes_back_as_tool_calls(string family, string format, string reply, string reasoning)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        var server = fixture.Server!;
        var template = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!["chat_template"]!;
        Assert.Equal(format, (string?)template["tool_call_format"]);
        var markers = new[]
            {
                "<tool_call>", "</tool_call>", "<|python_tag|>", "[TOOL_CALLS]", "[ARGS]", "<think>", "</think>",
                "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>",
            }
            .Where(m => reply.Contains(m) && fixture.Spec!.SpecialTokens.IdOf(m) is not null).ToList();

        var response = await server.ChatAsync(new
        {
            model = fixture.ModelId, max_tokens = 200, temperature = 0,
            messages = new object[] { new { role = "user", content = "Weather in Paris?" } },
            tools = ToolCallingTests.WeatherTools,
            grammar = ToolCallingTests.Exactly(reply),
            logit_bias = markers.ToDictionary(m => fixture.TokenId(m).ToString(), _ => 100),
            // DeepSeek's templates close <think> in the prompt unless asked to think; the others ignore it or think anyway.
            chat_template_kwargs = new { enable_thinking = true },
            logprobs = true,
        });

        var choice = response["choices"]![0]!;
        Assert.True((string?)choice["finish_reason"] == "tool_calls", choice.ToJsonString());
        Assert.Null(choice["message"]!["content"]);
        Assert.Equal(reasoning.Length == 0 ? null : reasoning, (string?)choice["message"]!["reasoning_content"]);
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Json), JsonNode.Parse((string)call["function"]!["arguments"]!)));
        // Control tokens have no text of their own: the sampled markers among them show as empty logprob entries.
        int controls = markers.Where(m => server.Model.Tokenizer.ControlToken(m) is not null)
            .Sum(m => (reply.Length - reply.Replace(m, "").Length) / m.Length);
        Assert.Equal(controls, choice["logprobs"]!["content"]!.AsArray().Count(e => (string?)e!["token"] == ""));
        if (format.StartsWith("mistral"))
            Assert.Matches("^[A-Za-z0-9]{9}$", (string?)call["id"]);
    }

    private TemplateModelServerFixture Fixture(string family) => family switch
    {
        "Qwen2.5" => qwen25, "Qwen3" => qwen3, "Hermes2Pro" => hermes2Pro, "Llama3.1" => llama31,
        "MistralNemo" => mistralNemo, "MistralSmall" => mistralSmall, "DeepSeekR1" => deepSeekR1,
        "DeepSeekV3.1" => deepSeekV31,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
