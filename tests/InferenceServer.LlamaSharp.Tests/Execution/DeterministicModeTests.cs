using InferenceServer.Engine.Sequences;

namespace InferenceServer.LlamaSharp.Tests.Execution;

/// <summary>
/// Deterministic mode on real llama.cpp: a sequence's KV cells hold the same bytes, and it samples the same tokens,
/// whether it runs alone or beside others, through preemption and recompute too.
/// </summary>
[Collection("llama")]
public sealed class DeterministicModeTests(DeterministicRunnerFixture fixture) : IClassFixture<DeterministicRunnerFixture>
{
    private const int NumBlocks = 256;
    private const int Computed = 52;

    private int[] Prompt(string text) => fixture.Host.Tokenizer.Tokenize(text, parseSpecial: false);

    private static readonly string Text =
        "Once upon a time there was a small house by the river, and in the house lived an old man who told stories";

    /// <summary>Steps until <paramref name="seq"/> has computed <see cref="Computed"/> tokens, then saves its cells.</summary>
    private byte[] StateAt(RealEngineDriver driver, Sequence seq, Action<int>? everyStep = null)
    {
        for (int step = 0; seq.NumComputedTokens < Computed; step++)
        {
            Assert.False(seq.IsFinished);
            everyStep?.Invoke(step);
            driver.Step();
            driver.CheckMemoryMatchesBooks();
        }
        Assert.Equal(Computed, seq.NumComputedTokens);
        int seqId = LlamaModelRunner.SeqIdOf(Assert.NotNull(seq.KvStream)).Value;
        return Cells(fixture.Runner.GetSequenceState(seqId), seqId);
    }

    /// <summary>
    /// The cells of a saved sequence state, without what names the sequence id, so states saved from different ids compare.
    /// llama.cpp writes a 4-byte magic, the sequence id, the number of streams, then per stream a cell count and, where
    /// it is not zero, each cell's position and sequence ids followed by the K/V rows; only the sequence's own stream
    /// (the one its id maps to) has cells.
    /// </summary>
    private static byte[] Cells(byte[] state, int seqId)
    {
        int stream = seqId;
        Assert.Equal(seqId, BitConverter.ToInt32(state, 4));
        int numStreams = BitConverter.ToInt32(state, 8);
        int first = 12 + 4 * stream, after = 4 * (numStreams - 1 - stream);
        Assert.All(state[12..first].Concat(state[^after..]), b => Assert.Equal(0, b));
        var cells = state[first..^after];
        int numCells = BitConverter.ToInt32(cells, 0);
        for (int c = 0, at = 4; c < numCells; c++, at += 12)
        {
            Assert.Equal((c, 1, stream), (BitConverter.ToInt32(cells, at), BitConverter.ToInt32(cells, at + 4), BitConverter.ToInt32(cells, at + 8)));
            BitConverter.TryWriteBytes(cells.AsSpan(at + 8), 0);
        }
        return cells;
    }

    private static string Diff(byte[] a, byte[] b)
    {
        var idx = Enumerable.Range(0, Math.Min(a.Length, b.Length)).Where(i => a[i] != b[i]).ToList();
        return $"the KV bytes differ from the solo run: {idx.Count} of {a.Length} bytes (first at {idx.FirstOrDefault()}), lengths {a.Length} and {b.Length}";
    }

    /// <summary>The prompt alone (seed 7, temperature 1): its cells and tokens at <see cref="Computed"/> tokens.</summary>
    private (byte[] State, int[] Tokens) Solo(int[] prompt)
    {
        using var alone = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true);
        var seq = alone.Add(prompt, maxTokens: 40, temperature: 1, seed: 7);
        var state = StateAt(alone, seq);
        return (state, [.. seq.TokenIds]);
    }

    [Fact]
    public void A_sequence_holds_the_same_kv_bytes_and_tokens_alone_and_under_load()
    {
        var prompt = Prompt(Text);
        Assert.True(prompt.Length > 16 && prompt.Length < Computed, $"prompt of {prompt.Length} tokens");

        var (soloState, soloTokens) = Solo(prompt);

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true);
        driver.Add(Prompt("Why do we dream at night"), maxTokens: 60, temperature: 1, seed: 1);
        driver.Step();
        var target = driver.Add(prompt, maxTokens: 40, temperature: 1, seed: 7);
        var state = StateAt(driver, target, step =>
        {
            if (step == 2)
                driver.Add(Prompt("A long road goes over the hills and far away to the sea"), maxTokens: 30);
            if (step == 5)
                driver.AddChoices(Prompt("The people of the world"), maxTokens: 20, n: 2, temperature: 1.5f, seed: 3);
        });

        Assert.True(driver.Scheduler.NumRunning >= 3, "the sequence should have had company");
        Assert.Equal(soloTokens, target.TokenIds);
        Assert.True(soloState.AsSpan().SequenceEqual(state), Diff(soloState, state));
    }

    [Fact]
    public void A_sequence_reusing_a_free_slots_cells_holds_the_cold_kv_bytes()
    {
        var prompt = Prompt(Text);
        var (soloState, soloTokens) = Solo(prompt);

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true);
        Assert.True(driver.Scheduler.RetainsStreams);
        // A story with the same first 20 tokens leaves its cells; only the first whole chunk of 16 is reusable.
        driver.Add([.. prompt.Take(20), .. Prompt(" dog ran over the hills and far away")], maxTokens: 10);
        driver.RunToIdle();
        var target = driver.Add(prompt, maxTokens: 40, temperature: 1, seed: 7);
        var state = StateAt(driver, target);
        Assert.Equal(16, target.NumCachedTokens);
        Assert.Equal(soloTokens, target.TokenIds);
        Assert.True(soloState.AsSpan().SequenceEqual(state), Diff(soloState, state));

        // The same prompt again: all but its last token are there, whole chunks of them are reused.
        driver.RunToIdle();
        var again = driver.Add(prompt, maxTokens: 40, temperature: 1, seed: 7);
        var againState = StateAt(driver, again);
        Assert.Equal((prompt.Length - 1) / 16 * 16, again.NumCachedTokens);
        Assert.Equal(soloTokens, again.TokenIds);
        Assert.True(soloState.AsSpan().SequenceEqual(againState), Diff(soloState, againState));
    }

    [Fact]
    public void A_sequence_starting_from_a_copy_of_a_running_stream_holds_the_cold_kv_bytes()
    {
        var prompt = Prompt(Text);
        byte[] soloState;
        using (var alone = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true))
            soloState = StateAt(alone, alone.Add(prompt, maxTokens: 40));

        using var driver = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true);
        // A running story with the same first 20 tokens: once it has computed a chunk or two, the first whole chunk is copied.
        var sibling = driver.Add([.. prompt.Take(20), .. Prompt(" dog ran over the hills and far away to the sea")], maxTokens: 30);
        driver.Step();
        driver.Step();
        Assert.True(sibling.NumComputedTokens >= 20);
        var target = driver.Add(prompt, maxTokens: 40);
        var state = StateAt(driver, target);

        Assert.Equal(16, target.NumCachedTokens);
        Assert.Equal(SequenceStatus.Running, sibling.Status);
        Assert.True(soloState.AsSpan().SequenceEqual(state), Diff(soloState, state));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_preempted_sequence_recomputes_the_same_kv_bytes(bool retainStreams)
    {
        var prompt = Prompt(Text);
        byte[] soloState;
        using (var alone = new RealEngineDriver(fixture.Runner, NumBlocks, fixedChunks: true))
            soloState = StateAt(alone, alone.Add(prompt, maxTokens: 40));

        // 24 blocks of 4 tokens: three sequences growing past 32 tokens each cannot all stay.
        // With retained streams the sequence resumes from the cells its stream kept rather than recomputing them all.
        using var driver = new RealEngineDriver(fixture.Runner, numBlocks: 24, fixedChunks: true, retainStreams: retainStreams);
        driver.Add(Prompt("Why do we dream at night"), maxTokens: 60);
        driver.Add(Prompt("A small house"), maxTokens: 60);
        var target = driver.Add(prompt, maxTokens: 40);
        var state = StateAt(driver, target);

        Assert.True(target.NumPreemptions > 0, "the sequence should have been preempted");
        Assert.True(soloState.AsSpan().SequenceEqual(state), Diff(soloState, state));
    }
}
