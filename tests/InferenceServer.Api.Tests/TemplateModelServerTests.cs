using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.Templates.Tests;

namespace InferenceServer.Api.Tests;

/// <summary>
/// Servers on generated models that carry real chat templates and their models' special tokens: the prompt the
/// server builds is jinja2's render of the template, and each of the model's end tokens ends a reply.
/// One sealed class per family, each with its own server.
/// </summary>
public abstract class TemplateModelServerTests<TFixture>(TFixture fixture) where TFixture : TemplateModelServerFixture
{
    [SkippableFact]
    public async Task The_prompt_is_the_jinja2_render_of_the_real_template()
    {
        fixture.SkipIfAbsent();
        Skip.IfNot(ReferenceRenderer.IsAvailable(), "python3 with jinja2 is not available");
        var server = fixture.Server!;

        var response = await server.ChatAsync(new
        {
            model = fixture.ModelId, max_tokens = 1,
            messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "Name a colour." } },
        });

        Assert.Equal(ReferencePromptTokens(), (int)response["usage"]!["prompt_tokens"]!);
    }

    [SkippableFact]
    public async Task Each_end_of_generation_token_ends_the_reply()
    {
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

    private int ReferencePromptTokens()
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

[Collection(ServerCollection.Name)]
public sealed class Qwen25TemplateServerTests(Qwen25ServerFixture f) : TemplateModelServerTests<Qwen25ServerFixture>(f), IClassFixture<Qwen25ServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class Qwen3TemplateServerTests(Qwen3ServerFixture f) : TemplateModelServerTests<Qwen3ServerFixture>(f), IClassFixture<Qwen3ServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class Hermes2ProTemplateServerTests(Hermes2ProServerFixture f) : TemplateModelServerTests<Hermes2ProServerFixture>(f), IClassFixture<Hermes2ProServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class Llama31TemplateServerTests(Llama31ServerFixture f) : TemplateModelServerTests<Llama31ServerFixture>(f), IClassFixture<Llama31ServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class MistralNemoTemplateServerTests(MistralNemoServerFixture f) : TemplateModelServerTests<MistralNemoServerFixture>(f), IClassFixture<MistralNemoServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class MistralSmallTemplateServerTests(MistralSmallServerFixture f) : TemplateModelServerTests<MistralSmallServerFixture>(f), IClassFixture<MistralSmallServerFixture>;

[Collection(ServerCollection.Name)]
public sealed class DeepSeekR1TemplateServerTests(DeepSeekR1ServerFixture f) : TemplateModelServerTests<DeepSeekR1ServerFixture>(f), IClassFixture<DeepSeekR1ServerFixture>;
