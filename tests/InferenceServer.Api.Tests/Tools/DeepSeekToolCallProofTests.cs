using InferenceServer.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Proof of forced tool calls in DeepSeek's own formats (skipped without ../shared), as
/// <see cref="ForcedToolCallProofTests"/> does for the other families: DeepSeek-R1-Distill-Qwen (<c>deepseek_r1</c>,
/// tool-call words as plain text) and DeepSeek V3.1 (<c>deepseek_v3_1</c>, tool-call words as single tokens). With
/// <c>tool_choice</c> "required" or a named tool, every call parses, names a declared tool (the named one when named)
/// and validates; whole and streamed, at temperature 0 and 1, with and without parallel calls.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DeepSeekToolCallProofTests(DeepSeekR1ServerFixture deepSeekR1, DeepSeekV31ServerFixture deepSeekV31, ITestOutputHelper output)
    : IClassFixture<DeepSeekR1ServerFixture>, IClassFixture<DeepSeekV31ServerFixture>
{
    public static TheoryData<string, string?, double, bool> Cases()
    {
        var cases = new TheoryData<string, string?, double, bool>();
        foreach (var family in new[] { "DeepSeekR1", "DeepSeekV3.1" })
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
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        bool single = named is not null || !parallel;

        var whole = await fixture.Server!.ChatAsync(ForcedToolCallProofTests.Request(fixture, named, temperature, parallel, stream: false));
        var wholeCalls = ProofTools.AssertCallsOnly(whole["choices"]![0]!, named, single);

        var events = await fixture.Server.StreamAsync("v1/chat/completions", ForcedToolCallProofTests.Request(fixture, named, temperature, parallel, stream: true));
        var streamedCalls = ProofTools.AssertCallsOnly(StreamedChoice.Assemble(events), named, single);
        output.WriteLine($"{wholeCalls.Count} call(s): {string.Join("; ", wholeCalls)}");

        if (temperature == 0)
            Assert.Equal(wholeCalls, streamedCalls);
    }

    [SkippableTheory]
    [InlineData("DeepSeekR1")]
    [InlineData("DeepSeekV3.1")]
    public async Task Parallel_calls_come_back_as_separate_valid_calls(string family)
    {
        var fixture = Fixture(family);
        fixture.SkipIfAbsent();
        int most = 0;
        for (int seed = 1; seed <= 8; seed++)
        {
            var request = ForcedToolCallProofTests.Request(fixture, named: null, temperature: 1, parallel: true, stream: false);
            request["seed"] = seed;
            var whole = ProofTools.AssertCallsOnly((await fixture.Server!.ChatAsync(request))["choices"]![0]!, named: null, single: false);
            request["stream"] = true;
            var streamed = ProofTools.AssertCallsOnly(StreamedChoice.Assemble(await fixture.Server.StreamAsync("v1/chat/completions", request)), named: null, single: false);
            Assert.Equal(whole, streamed);
            most = Math.Max(most, whole.Count);
        }
        // The end bias (ForcedToolCallProofTests.EndOfGenerationBias) makes most replies a single call; some seeds must still make several.
        Assert.True(most >= 2, $"no seed made more than {most} call");
    }

    private TemplateModelServerFixture Fixture(string family) => family == "DeepSeekR1" ? deepSeekR1 : deepSeekV31;
}
