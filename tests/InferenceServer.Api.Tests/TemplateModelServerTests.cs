using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Templates.Tests;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Servers on generated models that carry real chat templates and their models' special tokens: the prompt the
/// server builds is jinja2's render of the template, and each of the model's end tokens ends a reply.
/// Each family has its own server fixture.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TemplateModelServerTests(
    Qwen25ServerFixture qwen25, Qwen3ServerFixture qwen3, Hermes2ProServerFixture hermes2Pro, Llama31ServerFixture llama31,
    MistralNemoServerFixture mistralNemo, MistralSmallServerFixture mistralSmall, DeepSeekR1ServerFixture deepSeekR1)
    : IClassFixture<Qwen25ServerFixture>, IClassFixture<Qwen3ServerFixture>, IClassFixture<Hermes2ProServerFixture>,
      IClassFixture<Llama31ServerFixture>, IClassFixture<MistralNemoServerFixture>, IClassFixture<MistralSmallServerFixture>,
      IClassFixture<DeepSeekR1ServerFixture>
{
    public static TheoryData<string> Families => new("Qwen2.5", "Qwen3", "Hermes2Pro", "Llama3.1", "MistralNemo", "MistralSmall", "DeepSeekR1");

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task The_prompt_is_the_jinja2_render_of_the_real_template(string family)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var server = fixture.Server!;

        var response = await server.ChatAsync(new
        {
            model = fixture.ModelId, max_tokens = 1,
            messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "Name a colour." } },
        });

        Assert.Equal(ReferencePromptTokens(fixture), (int)response["usage"]!["prompt_tokens"]!);
    }

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task Each_end_of_generation_token_ends_the_reply(string family)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        foreach (string end in fixture.Spec!.SpecialTokens.EndOfGeneration)
        {
            var response = await fixture.Server!.ChatAsync(new
            {
                model = fixture.ModelId, max_tokens = 8, temperature = 0,
                messages = new object[] { new { role = "user", content = "Hello" } },
                logit_bias = new Dictionary<string, int> { [fixture.TokenId(end).ToString()] = 100 },
            });

            var choice = response["choices"]![0]!;
            Assert.True((string?)choice["finish_reason"] == "stop", $"{end}: {choice}");
            Assert.Equal("", (string?)choice["message"]!["content"]);
            Assert.Equal(1, (int)response["usage"]!["completion_tokens"]!);
        }
    }

    private TemplateModelServerFixture Fixture(string family) => family switch
    {
        "Qwen2.5" => qwen25, "Qwen3" => qwen3, "Hermes2Pro" => hermes2Pro, "Llama3.1" => llama31,
        "MistralNemo" => mistralNemo, "MistralSmall" => mistralSmall, "DeepSeekR1" => deepSeekR1,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    private static int ReferencePromptTokens(TemplateModelServerFixture fixture)
    {
        var spec = fixture.Spec!;
        var variables = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
                new JsonObject { ["role"] = "user", ["content"] = "Name a colour." }),
            ["add_generation_prompt"] = true,
            ["bos_token"] = spec.SpecialTokens.Bos,
            ["eos_token"] = spec.SpecialTokens.Eos,
        };
        var result = ReferenceRenderer.Render(new() { ["t"] = spec.ChatTemplate! }, [("t", variables)], DateTime.Now)[0];
        Assert.True(result.Ok, result.Error);
        string prompt = result.Output!;
        // The tokenizer adds BOS itself, so the server drops the template's leading BOS text.
        if (spec.SpecialTokens.AddBos && prompt.StartsWith(spec.SpecialTokens.Bos, StringComparison.Ordinal))
            prompt = prompt[spec.SpecialTokens.Bos.Length..];
        return fixture.Server!.Model.Tokenizer.Tokenize(prompt, parseSpecial: true).Length;
    }
}
