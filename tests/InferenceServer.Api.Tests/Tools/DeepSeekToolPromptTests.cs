using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// DeepSeek's templates render calls but not the tools list (skipped without ../shared): the server describes the
/// tools in a system message, so a request with tools has a longer prompt than the same request without them, by at
/// least the tokens of the tools' JSON.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DeepSeekToolPromptTests(DeepSeekR1ServerFixture deepSeekR1, DeepSeekV31ServerFixture deepSeekV31)
    : IClassFixture<DeepSeekR1ServerFixture>, IClassFixture<DeepSeekV31ServerFixture>
{
    [SkippableTheory]
    [InlineData("DeepSeekR1")]
    [InlineData("DeepSeekV3.1")]
    public async Task The_prompt_lists_the_tools_the_template_leaves_out(string family)
    {
        TemplateModelServerFixture fixture = family == "DeepSeekR1" ? deepSeekR1 : deepSeekV31;
        fixture.SkipIfAbsent();
        var request = new JsonObject
        {
            ["model"] = fixture.ModelId,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
            ["max_tokens"] = 1,
        };
        int without = (int)(await fixture.Server!.ChatAsync(request))["usage"]!["prompt_tokens"]!;
        request["tools"] = ProofTools.Tools();
        // "required": the generated R1 model's vocabulary reads "▁" as a space, so it cannot tokenize the auto trigger
        // word back and the server refuses the lazy grammar (DeepSeek-R1-Distill's byte-level vocabulary has no such problem).
        request["tool_choice"] = "required";
        int with = (int)(await fixture.Server.ChatAsync(request))["usage"]!["prompt_tokens"]!;

        int toolsJson = fixture.Server.Model.Tokenizer.Tokenize(ProofTools.Tools().ToJsonString(), parseSpecial: false).Length;
        Assert.True(with - without >= toolsJson / 2, $"{without} tokens without tools, {with} with; the tools' JSON alone is {toolsJson}");
    }
}
