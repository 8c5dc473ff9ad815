using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>The engine on llama.cpp's per-sequence KV streams: same outputs as alone, every cell accounted for.</summary>
[Collection("llama")]
public sealed class PerSequenceLayoutTests(PerSequenceRunnerFixture fixture) : IClassFixture<PerSequenceRunnerFixture>
{
    private const int NumBlocks = 256;

    private int[] Prompt(string text) => fixture.Host.Tokenizer.Tokenize(text, parseSpecial: false);

    private int[] Solo(int[] prompt, int maxTokens, float temperature = 0, uint seed = 0)
    {
        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        var seq = driver.Add(prompt, maxTokens, temperature, seed);
        driver.RunToIdle();
        return RealEngineDriver.Output(seq);
    }

    [Fact]
    public void Each_sequence_is_capped_at_its_stream_and_there_are_no_cache_holders()
    {
        Assert.Equal(256, fixture.Runner.Info.MaxModelLength);
        Assert.Equal(NumBlocks, fixture.Runner.Info.NumBlocks);
        Assert.Equal(0, fixture.Runner.Info.NumCacheHolders);
    }

    [Fact]
    public void Batched_greedy_decoding_equals_each_sequence_alone()
    {
        string[] texts = ["The people of the world", "A small house", "Once upon a time there", "Why do we dream"];
        var solo = texts.Select(t => Solo(Prompt(t), 24)).ToList();

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        var seqs = texts.Select(t => driver.Add(Prompt(t), 24)).ToList();
        driver.RunToIdle();

        Assert.Equal(solo, seqs.Select(RealEngineDriver.Output));
        Assert.Equal(0, driver.Scheduler.NumPreemptions);
        Assert.Equal(NumBlocks, driver.Kv.NumFreeBlocks);
    }

    [Fact]
    public void Forked_choices_copy_the_prompt_stream_and_decode_like_a_solo_sequence()
    {
        var prompt = Prompt("Once upon a time there was a small house by the river");
        var solo = Solo(prompt, 12);
        var soloSeed41 = Solo(prompt, 12, temperature: 1, seed: 41);

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        var greedy = driver.AddChoices(prompt, 12, n: 2);
        var seeded = driver.AddChoices(prompt, 12, n: 2, temperature: 1, seed: 40);
        driver.RunToIdle();

        Assert.All(greedy, s => Assert.Equal(solo, RealEngineDriver.Output(s)));
        Assert.NotEqual(RealEngineDriver.Output(seeded[0]), RealEngineDriver.Output(seeded[1]));
        Assert.Equal(soloSeed41, RealEngineDriver.Output(seeded[1]));
        Assert.Equal(prompt.Length, driver.Scheduler.NumPromptTokens / 2);
    }

    [Fact]
    public void A_sequence_reusing_a_free_slots_cells_gives_its_cold_output()
    {
        var story = Prompt("Once upon a time there was a small house by the river, and in the house lived an old man");
        int[] longer = [.. story, .. Prompt(" who told stories to the children")];
        int[] other = [.. story.Take(6), .. Prompt(" dog ran over the hills")];
        // Cold outputs first: drivers share the runner, so none may run beside the one under test.
        var soloStory = Solo(story, 16);
        int[] conversation = [.. story, .. soloStory, .. Prompt(" and then")];
        var cold = new[] { longer, conversation, other }.Select(p => Solo(p, p == conversation ? 8 : 16)).ToList();

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        Sequence Run(int[] prompt, int maxTokens)
        {
            var seq = driver.Add(prompt, maxTokens);
            driver.RunToIdle();
            return seq;
        }
        var first = Run(story, 16);
        var extended = Run(longer, 16);
        var again = Run(story, 16);
        var next = Run(conversation, 8);
        var branch = Run(other, 16);

        Assert.Equal(0, first.NumCachedTokens);
        Assert.Equal(CommonPrefix(first.TokenIds.Take(story.Length + 15), longer), extended.NumCachedTokens);
        Assert.True(extended.NumCachedTokens >= story.Length);
        // The same prompt again reuses all but its last token, which it computes for its logits.
        Assert.Equal(story.Length - 1, again.NumCachedTokens);
        // The next turn of a conversation reuses the whole last exchange but the last sampled token, never computed.
        Assert.Equal(again.NumTokens - 1, next.NumCachedTokens);
        Assert.True(branch.NumCachedTokens >= 6);
        Assert.Equal(soloStory, RealEngineDriver.Output(first));
        Assert.Equal(soloStory, RealEngineDriver.Output(again));
        Assert.Equal(cold, new[] { extended, next, branch }.Select(RealEngineDriver.Output));
        Assert.Equal(NumBlocks, driver.Kv.NumFreeBlocks);
        Assert.Equal(first.NumCachedTokens + extended.NumCachedTokens + again.NumCachedTokens + next.NumCachedTokens + branch.NumCachedTokens,
            driver.Scheduler.NumCachedPromptTokens);
    }

    [Fact]
    public void A_sequence_starting_from_a_copy_of_a_running_stream_gives_its_cold_output()
    {
        var story = Prompt("Once upon a time there was a small house by the river, and in the house lived an old man who told " +
            "stories to the children of the village every night");
        Assert.True(story.Length > 32, $"story of {story.Length} tokens");
        int[] sibling = [.. story.Take(24), .. Prompt(" dog ran over the hills")];
        var cold = new[] { story, sibling }.Select(p => Solo(p, 12)).ToList();

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        var first = driver.Add(story, 12);
        driver.Step();
        driver.Step();
        Assert.Equal(32, first.NumComputedTokens);
        var second = driver.Add(sibling, 12);
        driver.Step();
        driver.CheckMemoryMatchesBooks();
        Assert.Equal(CommonPrefix(story.Take(32), sibling), second.NumCachedTokens);
        Assert.True(second.NumCachedTokens >= 24);
        Assert.NotEqual(first.KvStream, second.KvStream);
        driver.RunToIdle();

        Assert.Equal(cold, new[] { first, second }.Select(RealEngineDriver.Output));
        Assert.Equal(NumBlocks, driver.Kv.NumFreeBlocks);
    }

    private static int CommonPrefix(IEnumerable<int> a, int[] b) => a.Zip(b).TakeWhile(p => p.First == p.Second).Count();

    [Theory]
    [InlineData(7, 16)]
    [InlineData(8, 16)]
    [InlineData(9, 1)]
    public void Random_workload_with_forks_long_prompts_and_aborts_leaves_no_cell_unaccounted(int seed, int minCopyTokens)
    {
        var random = new Random(seed);
        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks);
        // 1: a running stream is copied whenever it holds a longer prefix than any free stream (stream copies, then trims).
        driver.Scheduler.MinCopyTokens = minCopyTokens;
        long copiesBefore = fixture.Runner.NumStreamCopies;
        string[] words = ["the", "world", "people", "small", "house", "time", "dream", "river", "light"];
        for (int step = 0; step < 200; step++)
        {
            if (random.NextDouble() < 0.25)
            {
                var prompt = Prompt(string.Join(' ', Enumerable.Range(0, random.Next(1, 60)).Select(_ => words[random.Next(words.Length)])));
                driver.AddChoices(prompt, random.NextDouble() < 0.4 ? random.Next(1, 3) : random.Next(1, 40), random.NextDouble() < 0.25 ? 2 : 1);
            }
            if (random.NextDouble() < 0.08 && driver.All.Where(s => !s.IsFinished).ToList() is { Count: > 0 } live)
                driver.Abort(live[random.Next(live.Count)]);
            if (driver.Scheduler.HasWork)
                driver.Step();
            driver.CheckMemoryMatchesBooks();
        }
        driver.RunToIdle();

        Assert.Equal(0, driver.Scheduler.NumPreemptions);
        Assert.Equal(NumBlocks, driver.Kv.NumFreeBlocks);
        Assert.All(driver.All, s => Assert.True(s.IsFinished));
        Assert.Contains(driver.All, s => s.Status == SequenceStatus.FinishedAborted);
        Assert.Equal(0, fixture.Runner.NumSamplers);
        Assert.True(driver.Scheduler.NumCachedPromptTokens > 0, "prompts sharing their first words should reuse cells");
        if (minCopyTokens == 1)
            Assert.True(fixture.Runner.NumStreamCopies > copiesBefore, "running streams should have been copied");
    }
}
