using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof of <c>tool_choice: "auto"</c> on random-weights models with real templates (skipped without ../shared), with
/// no <c>grammar</c> from the client: the lazy tool-call grammar sleeps while the model writes text and wakes on the
/// format's marker. A logit_bias pushes the marker token (a real special token of each family); the call after it must
/// be valid. Without the push the reply is text, or valid calls: never broken markup.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class AutoToolCallProofTests(
    Qwen25ServerFixture qwen25, Llama31ServerFixture llama31, MistralSmallServerFixture mistralSmall, DeepSeekV31ServerFixture deepSeekV31)
    : IClassFixture<Qwen25ServerFixture>, IClassFixture<Llama31ServerFixture>, IClassFixture<MistralSmallServerFixture>,
      IClassFixture<DeepSeekV31ServerFixture>
{
    public static TheoryData<string, string> Markers => new()
    {
        { "Qwen2.5", "<tool_call>" },
        { "Llama3.1", "<|python_tag|>" },
        { "MistralSmall", "[TOOL_CALLS]" },
        { "DeepSeekV3.1", "<｜tool▁calls▁begin｜>" },
    };

    [SkippableTheory]
    [MemberData(nameof(Markers))]
    public async Task A_call_after_the_pushed_marker_is_valid(string family, string marker)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        // One call: the bias stays on the marker, and with parallel calls the grammar would let it open call after call.
        var bias = new JsonObject { [fixture.TokenId(marker).ToString()] = 100 };

        var whole = await fixture.Server!.ChatAsync(Request(fixture, seed: 1, bias, stream: false));
        var wholeCalls = ProofTools.AssertCallsOnly(whole["choices"]![0]!, named: null, single: true);

        var events = await fixture.Server.StreamAsync("v1/chat/completions", Request(fixture, seed: 1, bias, stream: true));
        var streamedCalls = ProofTools.AssertCallsOnly(StreamedChoice.Assemble(events), named: null, single: true);
        Assert.Equal(wholeCalls.Select(c => c.Name), streamedCalls.Select(c => c.Name));
    }

    [SkippableTheory]
    [MemberData(nameof(Markers))]
    public async Task Without_the_push_the_reply_is_text_or_valid_calls(string family, string marker)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        for (int seed = 1; seed <= 4; seed++)
        {
            var choice = (await fixture.Server!.ChatAsync(Request(fixture, seed, bias: null, stream: false)))["choices"]![0]!;
            string context = choice.ToJsonString();
            if ((string?)choice["finish_reason"] == "tool_calls")
            {
                foreach (var call in choice["message"]!["tool_calls"]!.AsArray())
                    ProofTools.AssertValidCall(call!, named: null, context);
            }
            else
                Assert.Null(choice["message"]!["tool_calls"]);
            string content = (string?)choice["message"]!["content"] ?? "";
            Assert.DoesNotContain(ProofTools.Markup, m => content.Contains(m));
            Assert.DoesNotContain(marker, content);
        }
    }

    private static JsonObject Request(TemplateModelServerFixture fixture, int seed, JsonObject? bias, bool stream) => new()
    {
        ["model"] = fixture.ModelId,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris for 3 days?" }),
        ["tools"] = ProofTools.Tools(),
        ["tool_choice"] = "auto",
        ["parallel_tool_calls"] = false,
        ["temperature"] = 1,
        ["seed"] = seed,
        ["max_tokens"] = 200,
        ["logit_bias"] = bias?.DeepClone(),
        ["stream"] = stream,
    };

    private TemplateModelServerFixture Fixture(string family) => family switch
    {
        "Qwen2.5" => qwen25, "Llama3.1" => llama31, "MistralSmall" => mistralSmall, "DeepSeekV3.1" => deepSeekV31,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
