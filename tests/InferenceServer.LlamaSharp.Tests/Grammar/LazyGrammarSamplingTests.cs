using System.Text.RegularExpressions;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp.Tests.Execution;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// A lazy grammar under real sampling where the trigger falls inside tokens: the demo vocabulary's words carry "a"
/// anywhere, so llama.cpp wakes the grammar with the rest of a cut token, and the sampler must predict that text
/// exactly (refusing tokens whose rest the grammar rejects: "aa", "tar"…) for the run to end well; without that check
/// llama.cpp throws "Unexpected empty grammar stack" from inside the sampler and the test host dies.
/// </summary>
[Collection("llama")]
public sealed class LazyGrammarSamplingTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    private (Sequence Seq, string Text) Run(SamplingParams sampling)
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32, prefixCaching: false);
        var seq = new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), fixture.Host.Tokenizer.Tokenize("Once upon", parseSpecial: false),
            sampling, DateTimeOffset.UtcNow);
        driver.All.Add(seq);
        driver.Scheduler.Add(seq);
        driver.RunToIdle();
        var output = RealEngineDriver.Output(seq);
        Assert.Equal(SequenceStatus.FinishedStopped, seq.Status);
        Assert.Contains(output[^1], fixture.Runner.Info.EndOfGenerationTokenIds);
        Assert.Equal(0, fixture.Runner.NumGrammars);
        return (seq, fixture.Host.Tokenizer.Detokenize(output[..^1]));
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void A_start_marker_inside_tokens_starts_the_grammar_right_after_it(uint seed)
    {
        // "e" stands in for "</think>": tokens that would end the marker and carry more text are refused.
        var (_, text) = Run(new SamplingParams
        {
            MaxTokens = 400, Temperature = 1f, Seed = seed, Grammar = "root ::= [0-9]{1,3} \".\"", GrammarStartAfter = "e",
        });
        int marker = text.IndexOf('e');
        Assert.True(marker >= 0, text);
        Assert.Matches(new Regex(@"^[0-9]{1,3}\.$"), text[(marker + 1)..]);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(4u)]
    public void Text_from_the_first_trigger_follows_the_grammar(uint seed)
    {
        var (_, text) = Run(new SamplingParams
        {
            MaxTokens = 400, Temperature = 1f, Seed = seed,
            Grammar = "root ::= \"a\" [0-9]{1,3} \".\"", GrammarTriggers = GrammarTriggers.OfWords("a"),
        });
        int first = text.IndexOf('a');
        Assert.True(first >= 0, text);
        Assert.Matches(new Regex(@"^a[0-9]{1,3}\.$"), text[first..]);
    }
}
