using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

[Collection("llama")]
public sealed class LlamaModelRunnerTests(RealRunnerFixture fixture) : IClassFixture<RealRunnerFixture>
{
    private int[] Prompt(string text) => fixture.Host.Tokenizer.Tokenize(text, parseSpecial: false);

    private int[] Solo(int[] prompt, int maxTokens, float temperature = 0, uint seed = 0)
    {
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32, prefixCaching: false);
        var seq = driver.Add(prompt, maxTokens, temperature, seed);
        driver.RunToIdle();
        return RealEngineDriver.Output(seq);
    }

    [Fact]
    public void Model_facts_come_from_the_gguf_and_the_kv_size()
    {
        var info = fixture.Runner.Info;
        Assert.Equal(32 * 4, info.MaxModelLength);
        Assert.Equal(32, info.NumBlocks);
        Assert.Equal(fixture.Host.Tokenizer.VocabSize, info.VocabSize);
        int imEnd = fixture.Host.Tokenizer.Tokenize("<|im_end|>", parseSpecial: true).Last();
        Assert.Contains(imEnd, info.EndOfGenerationTokenIds);
    }

    [Fact]
    public void Batched_greedy_decoding_equals_each_sequence_alone_even_through_preemption()
    {
        string[] texts = ["The people of the world", "A small house", "Once upon a time there", "Why do we dream"];
        var solo = texts.Select(t => Solo(Prompt(t), 24)).ToList();

        // 10 blocks of 4 tokens cannot hold four sequences of ~30 tokens: preemption must happen.
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 10);
        var seqs = texts.Select(t => driver.Add(Prompt(t), 24)).ToList();
        driver.RunToIdle();

        Assert.True(driver.Scheduler.NumPreemptions > 0);
        Assert.Equal(solo, seqs.Select(RealEngineDriver.Output));
        Assert.Equal(10, driver.Kv.NumFreeBlocks);
        Assert.Equal(0, fixture.Runner.NumSamplers);
            }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_depends_on_the_seed()
    {
        var prompt = Prompt("The people of the world");
        var a = Solo(prompt, 20, temperature: 1, seed: 11);
        var b = Solo(prompt, 20, temperature: 1, seed: 11);
        var c = Solo(prompt, 20, temperature: 1, seed: 12);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Random_workload_keeps_llama_memory_and_block_tables_in_step(int seed)
    {
        var random = new Random(seed);
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 24);
        string[] words = ["the", "world", "people", "small", "house", "time", "dream", "river", "light"];
        for (int step = 0; step < 150; step++)
        {
            if (random.NextDouble() < 0.25)
            {
                string text = string.Join(' ', Enumerable.Range(0, random.Next(1, 12)).Select(_ => words[random.Next(words.Length)]));
                driver.Add(Prompt(text), random.Next(1, 30));
            }
            if (random.NextDouble() < 0.04 && driver.All.Where(s => !s.IsFinished).ToList() is { Count: > 0 } live)
                driver.Abort(live[random.Next(live.Count)]);
            if (driver.Scheduler.HasWork)
                driver.Step();
            driver.CheckMemoryMatchesBooks();
        }
        driver.RunToIdle();

        Assert.True(driver.Scheduler.NumCachedPromptTokens > 0, "shared prompt words should hit the prefix cache");
        Assert.Equal(24, driver.Kv.NumFreeBlocks);
        Assert.All(driver.All, s => Assert.True(s.IsFinished));
        for (int stream = 0; stream < 4; stream++)
            Assert.Equal((-1, -1), fixture.Runner.GetStreamPositions(stream));
        Assert.Equal(0, fixture.Runner.NumSamplers);
            }

    /// <summary>
    /// Prompts up to four times the token budget, max_tokens 1 and 2 (sequences that finish in their last prefill
    /// step), n &gt; 1, idle-cache bounds of 0 and 1 (blocks cached and evicted in one update), pools barely larger than
    /// one request, and aborts aimed at waiting, prefilling and decoding sequences; after every step each sequence id's
    /// cells in llama.cpp (streams and cache holders) are counted against the books.
    /// </summary>
    [Theory]
    [InlineData(3, 16, 0)]
    [InlineData(4, 16, 1)]
    [InlineData(5, 24, 2)]
    [InlineData(6, 20, -1)]
    public void Long_prompts_short_outputs_tight_caches_and_aborts_leave_no_cell_unaccounted(int seed, int numBlocks, int maxIdle)
    {
        var random = new Random(seed);
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: numBlocks, maxIdleCachedBlocks: maxIdle);
        string[] words = ["the", "world", "people", "small", "house", "time", "dream", "river", "light"];
        string[] phases = ["waiting", "prefill", "decode"];
        string PhaseOf(Sequence s) =>
            s.Status != SequenceStatus.Running ? "waiting" : s.NumComputedTokens < s.NumPromptTokens ? "prefill" : "decode";
        var aborted = new HashSet<string>();
        var prefix = Prompt("Once upon a time there was a small house by the river");
        for (int step = 0; step < 300; step++)
        {
            if (random.NextDouble() < 0.25)
            {
                var tail = Prompt(string.Join(' ', Enumerable.Range(0, random.Next(1, 40)).Select(_ => words[random.Next(words.Length)])));
                int[] prompt = random.NextDouble() < 0.5 ? [.. prefix, .. tail] : tail;
                int room = numBlocks * 4 - prompt.Length;
                int n = random.NextDouble() < 0.2 ? 2 : 1;
                if (room >= 2 && driver.Kv.BlocksForAdmission(prompt.Length, n) <= numBlocks)
                {
                    int maxTokens = random.NextDouble() < 0.5 ? random.Next(1, 3) : random.Next(1, Math.Min(room, 24));
                    driver.AddChoices(prompt, maxTokens, n);
                }
            }
            if (random.NextDouble() < 0.15)
            {
                string phase = phases[random.Next(phases.Length)];
                if (driver.All.Where(s => !s.IsFinished && PhaseOf(s) == phase).ToList() is { Count: > 0 } inPhase)
                {
                    driver.Abort(inPhase[random.Next(inPhase.Count)]);
                    aborted.Add(phase);
                }
            }
            if (driver.Scheduler.HasWork)
                driver.Step();
            driver.CheckMemoryMatchesBooks();
        }
        driver.RunToIdle();

        Assert.Equal(phases.Order(), aborted.Order());
        Assert.True(driver.Kv.NumEvictions > 0 && driver.Scheduler.NumCachedPromptTokens > 0);
        Assert.Equal(numBlocks, driver.Kv.NumFreeBlocks);
        Assert.All(driver.All, s => Assert.True(s.IsFinished));
        Assert.Equal(0, fixture.Runner.NumSamplers);
    }

    [Fact]
    public void A_prompt_served_from_the_prefix_cache_decodes_the_same_tokens_as_a_fresh_one()
    {
        var prompt = Prompt("The people of the world like a small house by the river in the light of time");
        var fresh = Solo(prompt, 16);

        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32);
        var first = driver.Add(prompt, 16);
        driver.RunToIdle();
        var second = driver.Add(prompt, 16);
        driver.RunToIdle();

        Assert.Equal(0, first.NumCachedTokens);
        Assert.Equal((prompt.Length - 1) / 4 * 4, second.NumCachedTokens);
        Assert.Equal(fresh, RealEngineDriver.Output(first));
        Assert.Equal(fresh, RealEngineDriver.Output(second));
            }

    [Fact]
    public void Forked_choices_share_the_prompt_cells_and_decode_like_a_solo_sequence()
    {
        var prompt = Prompt("Once upon a time there was a small house by the river");
        var solo = Solo(prompt, 12);
        var soloSeed41 = Solo(prompt, 12, temperature: 1, seed: 41);

        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 32);
        var greedy = driver.AddChoices(prompt, 12, n: 3);
        var seeded = driver.AddChoices(prompt, 12, n: 3, temperature: 1, seed: 40);
        driver.RunToIdle();

        Assert.All(greedy, s => Assert.Equal(solo, RealEngineDriver.Output(s)));
        Assert.Equal(3, seeded.Select(s => string.Join(',', RealEngineDriver.Output(s))).Distinct().Count());
        Assert.Equal(soloSeed41, RealEngineDriver.Output(seeded[1]));
        Assert.Equal(2 * prompt.Length, driver.Scheduler.NumPromptTokens);
            }
}
