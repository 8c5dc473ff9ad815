using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>The runner's logprobs on real llama.cpp: only for sequences that ask, from the raw logits row of each sample.</summary>
[Collection("llama")]
public sealed class RunnerLogprobsTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    private static long _nextId = 1_000_000;

    private Sequence NewSequence(string text, SamplingParams sampling, int choiceIndex = 0) =>
        new(Interlocked.Increment(ref _nextId), fixture.Host.Tokenizer.Tokenize(text, parseSpecial: false), sampling, DateTimeOffset.UtcNow,
            choiceIndex: choiceIndex);

    private static List<StepResult> RunToIdle(RealEngineDriver driver)
    {
        var results = new List<StepResult>();
        while (driver.Scheduler.HasWork)
            results.AddRange(driver.Step());
        return results;
    }

    [Fact]
    public void Only_sequences_that_ask_get_logprobs_and_greedy_tokens_head_their_top_list()
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32);
        var asking = NewSequence("The people of the world", new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true, Logprobs = 4 });
        var silent = NewSequence("A small house", new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true });
        driver.Scheduler.Add(asking);
        driver.Scheduler.Add(silent);

        var results = RunToIdle(driver).Where(r => r.TokenId is not null).ToList();

        Assert.All(results.Where(r => r.SequenceId == silent.SequenceId), r => Assert.Null(r.Logprobs));
        var asked = results.Where(r => r.SequenceId == asking.SequenceId).ToList();
        Assert.Equal(8, asked.Count);
        foreach (var r in asked)
        {
            var lp = r.Logprobs!;
            Assert.Equal(r.TokenId, lp.TokenId);
            Assert.Equal(4, lp.Top.Count);
            Assert.Equal(lp.Top[0].TokenId, lp.TokenId);
            Assert.Equal(lp.Top[0].Logprob, lp.Logprob);
            Assert.True(lp.Top.Sum(t => Math.Exp(t.Logprob)) <= 1 + 1e-6);
        }
    }

    [Fact]
    public void Forks_draw_their_first_token_from_the_parents_row_and_share_its_top_list()
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32);
        var sampling = new SamplingParams { Temperature = 1.5f, MaxTokens = 4, IgnoreEos = true, Logprobs = 3 };
        var parent = NewSequence("Once upon a time there", sampling with { Seed = 1 });
        var fork = NewSequence("Once upon a time there", sampling with { Seed = 2 }, choiceIndex: 1);
        driver.Scheduler.Add(parent, [fork]);

        var results = RunToIdle(driver).Where(r => r.TokenId is not null).ToList();

        var first = results.Where(r => r.NumOutputTokens == 1).ToList();
        Assert.Equal(2, first.Count);
        Assert.Same(first[0].Logprobs!.Top, first[1].Logprobs!.Top);
        Assert.Equal(8, results.Count(r => r.Logprobs is { Top.Count: 3 }));
    }
}
