using System.Text.Json;
using InferenceServer.Engine.Grammar;
using InferenceServer.Engine.Sequences;
using InferenceServer.LlamaSharp.Tests.Execution;

namespace InferenceServer.LlamaSharp.Tests.Grammar;

/// <summary>
/// The grammar stage in the real runner: each sequence keeps its own grammar state through batching, forks and
/// preemption (recompute replays tokens the grammar already accepted), and end-of-generation comes exactly when the
/// grammar is complete.
/// </summary>
[Collection("llama")]
public sealed class GrammarSamplingTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    // Six integers 0–99: about 20 tokens, so four sequences overflow 10 blocks of 4 tokens.
    private static readonly string Grammar = JsonSchemaGrammar.FromSchema(JsonDocument.Parse(
        """{"type":"array","items":{"type":"integer","minimum":0,"maximum":99},"minItems":6,"maxItems":6}""").RootElement);

    private int[] Prompt(string text) => fixture.Host.Tokenizer.Tokenize(text, parseSpecial: false);

    private Sequence Add(RealEngineDriver driver, string prompt, float temperature, uint seed)
    {
        var seq = new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), Prompt(prompt),
            new SamplingParams { MaxTokens = 100, Temperature = temperature, Seed = seed, Grammar = Grammar }, DateTimeOffset.UtcNow);
        driver.All.Add(seq);
        driver.Scheduler.Add(seq);
        return seq;
    }

    private int[] Checked(Sequence seq)
    {
        var output = RealEngineDriver.Output(seq);
        Assert.Equal(SequenceStatus.FinishedStopped, seq.Status);
        Assert.Contains(output[^1], fixture.Runner.Info.EndOfGenerationTokenIds);
        var values = JsonSerializer.Deserialize<int[]>(fixture.Host.Tokenizer.Detokenize(output[..^1]))!;
        Assert.Equal(6, values.Length);
        Assert.All(values, v => Assert.InRange(v, 0, 99));
        return output;
    }

    [Fact]
    public void Grammar_state_survives_preemption_and_matches_each_sequence_alone()
    {
        string[] prompts = ["The people of the world", "A small house", "Once upon a time there", "Why do we dream"];
        var solo = prompts.Select((p, i) =>
        {
            using var alone = new RealEngineDriver(fixture.Runner, numBlocks: 32, prefixCaching: false);
            var seq = Add(alone, p, i % 2 == 0 ? 0f : 1f, (uint)i);
            alone.RunToIdle();
            return Checked(seq);
        }).ToList();

        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 10);
        var seqs = prompts.Select((p, i) => Add(driver, p, i % 2 == 0 ? 0f : 1f, (uint)i)).ToList();
        driver.RunToIdle();

        Assert.True(driver.Scheduler.NumPreemptions > 0);
        Assert.Equal(solo, seqs.Select(Checked));
        Assert.Equal(0, fixture.Runner.NumGrammars);
    }

    [Fact]
    public void Each_choice_of_a_request_has_its_own_grammar_state()
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32);
        var seqs = Enumerable.Range(0, 3).Select(i => new Sequence(Random.Shared.NextInt64(1L << 40, 1L << 50), Prompt("Numbers"),
            new SamplingParams { MaxTokens = 100, Temperature = 1.5f, Seed = 40 + (uint)i, Grammar = Grammar }, DateTimeOffset.UtcNow,
            choiceIndex: i)).ToList();
        driver.All.AddRange(seqs);
        driver.Scheduler.Add(seqs[0], seqs.Skip(1).ToList());
        driver.RunToIdle();

        var outputs = seqs.Select(Checked).ToList();
        Assert.Equal(3, outputs.Select(o => string.Join(",", o)).Distinct().Count());
        Assert.Equal(0, fixture.Runner.NumGrammars);
    }
}
