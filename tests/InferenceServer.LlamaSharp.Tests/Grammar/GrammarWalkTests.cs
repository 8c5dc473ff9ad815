using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp.Tests.Execution;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// A refused draw walked down the chain's scores picks exactly the token that masking the vocabulary picks: the same
/// outputs token for token, greedy and seeded, with penalties and a logit bias in the chain; and the walk does happen.
/// </summary>
[Collection("llama")]
public sealed class GrammarWalkTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    public static TheoryData<string> Grammars() =>
    [
        JsonSchemaGrammar.FromSchema(JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":12},"n":{"type":"integer","minimum":-5,"maximum":900},
             "tags":{"type":"array","items":{"enum":["a b","ü€","x"]},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","n","tags","ok"]}
            """).RootElement),
        "root ::= \"é\" [a-z ]{3,40} (\"€\" | \"→\") [0-9]{1,3}",
        // Every letter may come next but only one- and two-character tokens fit: the walk's wide tier.
        "root ::= [a-z] ([a-z] [0-9]){8,20}",
    ];

    private static readonly SamplingParams[] Samplings =
    [
        new() { Temperature = 0 },
        new() { Temperature = 1, Seed = 11 },
        new() { Temperature = 1.3f, Seed = 12, PresencePenalty = 0.8f, FrequencyPenalty = 0.4f, LogitBias = new Dictionary<int, float> { [5] = 3f, [7] = -2f } },
        // Drops candidates: no scores to walk, so both runs mask.
        new() { Temperature = 1, Seed = 13, TopP = 0.9f },
    ];

    private List<int[]> Run(string grammar, bool walk)
    {
        fixture.Runner.WalkGrammars = walk;
        try
        {
            using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32, prefixCaching: false);
            int[] prompt = fixture.Host.Tokenizer.Tokenize("Once upon a time", parseSpecial: false);
            var seqs = Samplings.Select(s => new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), prompt,
                s with { MaxTokens = 48, Grammar = grammar }, DateTimeOffset.UtcNow)).ToList();
            foreach (var seq in seqs)
            {
                driver.All.Add(seq);
                driver.Scheduler.Add(seq);
            }
            driver.RunToIdle();
            return [.. seqs.Select(RealEngineDriver.Output)];
        }
        finally
        {
            fixture.Runner.WalkGrammars = true;
        }
    }

    [Theory]
    [MemberData(nameof(Grammars))]
    public void Walking_the_scores_picks_what_the_mask_picks(string grammar)
    {
        var masked = Run(grammar, walk: false);
        var before = fixture.Runner.GrammarWalks;
        var walked = Run(grammar, walk: true);
        var after = fixture.Runner.GrammarWalks;

        Assert.Equal(masked, walked);
        Assert.All(walked, output => Assert.True(output.Length > 4));
        Assert.True(after.Walked > before.Walked, "no refused draw was resolved by the walk");
    }
}
