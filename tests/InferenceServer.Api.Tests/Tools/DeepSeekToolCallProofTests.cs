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
    public static TheoryData<string, string?, double, bool> Cases() => ForcedToolCallProofTests.CasesOf("DeepSeekR1", "DeepSeekV3.1");

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task Every_forced_call_parses_names_a_declared_tool_and_validates(string family, string? named, double temperature, bool parallel)
    {
        await ForcedToolCallProofTests.AssertForcedCallsAsync(Fixture(family), named, temperature, parallel, output);
    }

    [SkippableTheory]
    [InlineData("DeepSeekR1")]
    [InlineData("DeepSeekV3.1")]
    public async Task Parallel_calls_come_back_as_separate_valid_calls(string family)
    {
        // The end bias (ForcedToolCallProofTests.EndOfGenerationBias) makes most replies a single call; some seeds must still make several.
        int most = await ForcedToolCallProofTests.MostCallsAsync(Fixture(family), ForcedToolCallProofTests.EndBias);
        Assert.True(most >= 2, $"no seed made more than {most} call");
    }

    private TemplateModelServerFixture Fixture(string family) => family == "DeepSeekR1" ? deepSeekR1 : deepSeekV31;
}
