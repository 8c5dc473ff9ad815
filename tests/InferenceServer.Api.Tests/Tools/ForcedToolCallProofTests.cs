using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof of forced tool calls on random-weights models carrying each family's real template and special tokens
/// (skipped without ../shared): with <c>tool_choice</c> "required" or a named tool, and no <c>grammar</c> from the
/// client, the server's own tool-call grammar alone must make every call parse, name a declared tool (the named one
/// when named) and carry arguments that validate against the tool's <c>parameters</c>; whole and streamed, at
/// temperature 0 and 1, with and without parallel calls. At temperature 0 the stream must equal the whole reply.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ForcedToolCallProofTests(
    Qwen25ServerFixture qwen25, Hermes2ProServerFixture hermes2Pro, Llama31ServerFixture llama31,
    MistralNemoServerFixture mistralNemo, MistralSmallServerFixture mistralSmall, ITestOutputHelper output)
    : IClassFixture<Qwen25ServerFixture>, IClassFixture<Hermes2ProServerFixture>, IClassFixture<Llama31ServerFixture>,
      IClassFixture<MistralNemoServerFixture>, IClassFixture<MistralSmallServerFixture>
{
    // Enough for several calls with the schemas' bounded strings; a call the model has not closed by then fails the
    // test with finish_reason "length".
    private const int MaxTokens = 400;

    // With parallel calls the grammar allows another call or end-of-generation after each call, and a random model
    // rarely picks the end: left alone it writes calls until max_tokens. A bias on the end-of-generation tokens
    // (which the grammar allows only after a complete call) bounds the number of calls without touching their content.
    internal const int EndBias = 2;

    public static TheoryData<string, string?, double, bool> Cases() => CasesOf("Qwen2.5", "Hermes2Pro", "Llama3.1", "MistralNemo", "MistralSmall");

    /// <summary>Every family × (required, named) × temperature 0 and 1 × parallel calls on and off.</summary>
    internal static TheoryData<string, string?, double, bool> CasesOf(params string[] families)
    {
        var cases = new TheoryData<string, string?, double, bool>();
        foreach (var family in families)
            foreach (var named in new[] { null, "book_table" })
                foreach (var temperature in new[] { 0.0, 1.0 })
                    foreach (var parallel in new[] { true, false })
                        cases.Add(family, named, temperature, parallel);
        return cases;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task Every_forced_call_parses_names_a_declared_tool_and_validates(string family, string? named, double temperature, bool parallel)
    {
        await AssertForcedCallsAsync(Fixture(family), named, temperature, parallel, output);
    }

    /// <summary>The forced reply, whole and streamed: only valid calls (one when named or not parallel), equal at temperature 0.</summary>
    internal static async Task AssertForcedCallsAsync(TemplateModelServerFixture fixture, string? named, double temperature, bool parallel,
        ITestOutputHelper output)
    {
        fixture.SkipIfAbsent();
        bool single = named is not null || !parallel;

        var whole = await fixture.Server!.ChatAsync(Request(fixture, named, temperature, parallel, stream: false));
        var wholeCalls = ProofTools.AssertCallsOnly(whole["choices"]![0]!, named, single);

        var events = await fixture.Server.StreamAsync("v1/chat/completions", Request(fixture, named, temperature, parallel, stream: true));
        var streamedCalls = ProofTools.AssertCallsOnly(StreamedChoice.Assemble(events), named, single);
        output.WriteLine($"{wholeCalls.Count} call(s): {string.Join("; ", wholeCalls)}");

        if (temperature == 0)
            Assert.Equal(wholeCalls, streamedCalls);
    }

    [SkippableTheory]
    // Mistral Small's calls each start with the control token [TOOL_CALLS]; against it even a small end bias always
    // wins; without one this model still ends within max_tokens for these seeds.
    [InlineData("Qwen2.5", EndBias)]
    [InlineData("Hermes2Pro", EndBias)]
    [InlineData("MistralNemo", EndBias)]
    [InlineData("MistralSmall", 0)]
    public async Task Parallel_calls_come_back_as_separate_valid_calls(string family, int endBias)
    {
        // The end bias makes most replies a single call; some seeds must still make several.
        int most = await MostCallsAsync(Fixture(family), endBias);
        Assert.True(most >= 2, $"no seed made more than {most} call");
    }

    /// <summary>The most calls one reply made over seeds 1–8 with parallel calls on (each reply whole and streamed, only valid calls, equal).</summary>
    internal static async Task<int> MostCallsAsync(TemplateModelServerFixture fixture, int endBias)
    {
        fixture.SkipIfAbsent();
        int most = 0;
        for (int seed = 1; seed <= 8; seed++)
        {
            var request = Request(fixture, named: null, temperature: 1, parallel: true, stream: false);
            request["seed"] = seed;
            request["logit_bias"] = EndOfGenerationBias(fixture, endBias);
            var whole = ProofTools.AssertCallsOnly((await fixture.Server!.ChatAsync(request))["choices"]![0]!, named: null, single: false);
            request["stream"] = true;
            var streamed = ProofTools.AssertCallsOnly(StreamedChoice.Assemble(await fixture.Server.StreamAsync("v1/chat/completions", request)), named: null, single: false);
            Assert.Equal(whole, streamed);
            most = Math.Max(most, whole.Count);
        }
        return most;
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_string_that_cuts_a_call_finishes_with_stop_not_tool_calls(bool stream)
    {
        qwen25.SkipIfAbsent();
        var request = Request(qwen25, "get_weather", temperature: 0, parallel: false, stream);
        // "unit" is a required property, so the stop string always ends the reply inside the call's arguments.
        request["stop"] = new JsonArray("\"unit\"");

        var choice = stream
            ? StreamedChoice.Assemble(await qwen25.Server!.StreamAsync("v1/chat/completions", request))
            : (await qwen25.Server!.ChatAsync(request))["choices"]![0]!;

        Assert.True((string?)choice["finish_reason"] == "stop", choice.ToJsonString());
        Assert.DoesNotContain("unit", (string?)choice["message"]!["tool_calls"]![0]!["function"]!["arguments"]);
    }

    internal static JsonObject Request(TemplateModelServerFixture fixture, string? named, double temperature, bool parallel, bool stream) => new()
    {
        ["model"] = fixture.ModelId,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris for 3 days, then a table for 2 at Luigi's." }),
        ["tools"] = ProofTools.Tools(),
        ["tool_choice"] = named is null ? "required" : new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = named } },
        ["parallel_tool_calls"] = parallel,
        ["temperature"] = temperature,
        ["seed"] = 42,
        ["max_tokens"] = MaxTokens,
        ["stream"] = stream,
        ["logit_bias"] = parallel ? EndOfGenerationBias(fixture, EndBias) : null,
    };

    internal static JsonObject EndOfGenerationBias(TemplateModelServerFixture fixture, int bias)
    {
        var biases = new JsonObject([.. fixture.Spec!.SpecialTokens.EndOfGeneration.Select(t => KeyValuePair.Create<string, JsonNode?>(fixture.TokenId(t).ToString(), bias))]);
        // DeepSeek R1's calls are separated by "\n" and end with <｜tool▁calls▁end｜>, plain text in R1-Distill's
        // vocabulary: the end-of-generation tokens come only after that word, so the choice to stop writing calls is
        // between "\n" and the word's first token. A bias against "\n" makes that choice; where the grammar allows
        // only "\n" (in a call's header) it is still written.
        if (fixture.TemplateName.Contains("DeepSeek-R1", StringComparison.Ordinal) && bias != 0)
            foreach (int id in fixture.Server!.Model.Tokenizer.Tokenize("\n", parseSpecial: false))
                biases[id.ToString()] = -bias;
        return biases;
    }

    private TemplateModelServerFixture Fixture(string family) => family switch
    {
        "Qwen2.5" => qwen25, "Hermes2Pro" => hermes2Pro, "Llama3.1" => llama31,
        "MistralNemo" => mistralNemo, "MistralSmall" => mistralSmall,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
