using InferenceServer.Engine.Sequences;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceServer.Engine.Tests;

/// <summary>Runs alone: its waits poll the engine's stats, and CPU-bound test classes beside it starve the polls.</summary>
[CollectionDefinition(nameof(EngineLoopTests), DisableParallelization = true)]
public sealed class EngineLoopCollection;

[Collection(nameof(EngineLoopTests))]
public sealed class EngineLoopTests : IAsyncLifetime
{
    private readonly FakeModelRunnerFactory _factory = new(FakeModelRunner.Model(maxModelLength: 64, numBlocks: 16, cacheHolders: 4), TimeSpan.FromMilliseconds(10));
    private EngineClient _client = null!;
    private EngineLoop _loop = null!;

    private async Task StartAsync(EngineOptions options, FakeModelRunnerFactory? factory = null)
    {
        var wrapped = Options.Create(options);
        _client = new EngineClient(wrapped, TimeProvider.System);
        _loop = new EngineLoop(_client, factory ?? _factory, wrapped, TimeProvider.System, new Lifetime(), NullLogger<EngineLoop>.Instance);
        await _loop.StartAsync(CancellationToken.None);
        await WaitUntil(() => _client.IsReady);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    private sealed class Lifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    public async Task DisposeAsync()
    {
        if (_loop is not null)
            await _loop.StopAsync(CancellationToken.None);
    }

    private async Task WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met in time; engine stats: {_client?.Stats}");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task The_client_serves_the_tokenizer_and_template_the_factory_returned_with_the_runner()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 4 });

        Assert.Same(FakeModelRunnerFactory.Served, _client.Served);
        Assert.Equal(64, _client.Model!.MaxModelLength);
    }

    private static async Task<List<Scheduling.StepResult>> ReadAll(GenerationStream stream)
    {
        var list = new List<Scheduling.StepResult>();
        await foreach (var r in stream.ReadAllAsync())
            list.Add(r);
        return list;
    }

    [Fact]
    public async Task A_kv_snapshot_is_answered_between_steps_while_a_request_runs_and_is_null_before_start_and_after_stop()
    {
        var options = new EngineOptions { BlockSize = 4, MaxSequences = 4, MaxBatchTokens = 16 };
        Assert.Null(await new EngineClient(Options.Create(options), TimeProvider.System).GetKvSnapshotAsync(CancellationToken.None));
        await StartAsync(options);
        var stream = _client.Submit(Enumerable.Range(1, 9).ToArray(), new SamplingParams { MaxTokens = 54, Temperature = 0, IgnoreEos = true });
        await WaitUntil(() => _client.Stats.NumRunning == 1);

        var snapshot = await _client.GetKvSnapshotAsync(CancellationToken.None);

        var sequence = Assert.Single(snapshot!.Sequences);
        Assert.Equal(stream.SequenceId, sequence.SequenceId);
        // Taken between steps: the block table covers exactly the computed tokens (the next step allocates for the rest).
        Assert.Equal((sequence.NumComputedTokens + options.BlockSize - 1) / options.BlockSize, sequence.BlockTable.Count);
        Assert.All(sequence.BlockTable, id => Assert.Equal(KvCache.KvBlockState.InUse, snapshot.Blocks[id].State));
        Assert.Equal(sequence.BlockTable.Count, snapshot.NumInUseBlocks);

        await _loop.StopAsync(CancellationToken.None);
        Assert.Null(await _client.GetKvSnapshotAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Concurrent_requests_stream_their_tokens_and_leave_every_block_free()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 4, MaxBatchTokens = 16 });
        var streams = Enumerable.Range(0, 6)
            .Select(i => _client.Submit(Enumerable.Range(1 + i, 5).ToArray(), new SamplingParams { MaxTokens = 7, Temperature = 0 }))
            .ToList();

        var all = await Task.WhenAll(streams.Select(ReadAll));

        Assert.All(all, results =>
        {
            Assert.Equal(7, results.Count);
            Assert.Equal(FinishReason.Length, results[^1].FinishReason);
            Assert.Equal(Enumerable.Range(1, 7), results.Select(r => r.NumOutputTokens));
        });
        await WaitUntil(() => _client.Stats is { NumRunning: 0, NumWaiting: 0 });
        Assert.Equal(_client.Stats.NumBlocks, _client.Stats.NumFreeBlocks);
        Assert.Equal(42, _client.Stats.NumGeneratedTokens);
        Assert.Equal(0, _factory.Runner!.NumStreamsHoldingPositions);
    }

    [Fact]
    public async Task Cancelling_a_read_aborts_the_sequence_and_returns_its_blocks()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 2 });
        var stream = _client.Submit([1, 2, 3, 4, 5, 6], new SamplingParams { MaxTokens = 58, Temperature = 0 });
        using var cts = new CancellationTokenSource();
        int read = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in stream.ReadAllAsync(cts.Token))
                if (++read == 3)
                    cts.Cancel();
        });

        await WaitUntil(() => _client.Stats is { NumRunning: 0 } s && s.NumFreeBlocks == s.NumBlocks, timeoutMs: 1000);
        // The books free at once; llama.cpp's memory with the next plan, which the idle engine runs empty right away.
        await WaitUntil(() => _factory.Runner!.NumStreamsHoldingPositions == 0, timeoutMs: 1000);
        Assert.Equal(0, _factory.Runner!.NumStreamsHoldingPositions);
    }

    [Fact]
    public async Task Submit_refuses_what_cannot_fit_and_a_full_queue()
    {
        // Slow steps: the running request must still hold the only stream when the next two arrive, however late this
        // test's continuations run on a loaded machine (60 steps of 100 ms).
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 1, MaxWaiting = 1 },
            new FakeModelRunnerFactory(FakeModelRunner.Model(maxModelLength: 64, numBlocks: 16), TimeSpan.FromMilliseconds(100)));

        var tooLong = Assert.Throws<EngineRejectedException>(() =>
            _client.Submit(Enumerable.Range(1, 60).ToArray(), new SamplingParams { MaxTokens = 5 }));
        Assert.Equal(RejectionReason.ContextLengthExceeded, tooLong.Reason);

        var running = _client.Submit([1, 2], new SamplingParams { MaxTokens = 60 });
        // Its first token says it runs; reading on (not polling stats) cannot miss that window.
        var runningReader = running.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await runningReader.MoveNextAsync());
        var waiting = _client.Submit([3, 4], new SamplingParams { MaxTokens = 2 });
        var full = Assert.Throws<EngineRejectedException>(() => _client.Submit([5], new SamplingParams { MaxTokens = 2 }));
        Assert.Equal(RejectionReason.QueueFull, full.Reason);

        await runningReader.DisposeAsync();   // aborts the running request
        var results = await ReadAll(waiting);
        Assert.Equal(FinishReason.Length, results[^1].FinishReason);
    }

    [Fact]
    public async Task Submit_refuses_choices_whose_blocks_could_never_be_admitted_together()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 2 });

        // 62 tokens fill 16 blocks of 4 but for a partial last one; a second choice needs its own copy of it: 17 blocks.
        var tooManyChoices = Assert.Throws<EngineRejectedException>(() =>
            _client.Submit(Enumerable.Range(1, 62).ToArray(), new SamplingParams { MaxTokens = 1 }, n: 2));
        Assert.Equal(RejectionReason.ContextLengthExceeded, tooManyChoices.Reason);
        Assert.Contains("17 KV blocks", tooManyChoices.Message);

        // 60 tokens are 15 full blocks, which both choices share: they fit.
        var results = await ReadAll(_client.Submit(Enumerable.Range(1, 60).ToArray(), new SamplingParams { MaxTokens = 1 }, n: 2));
        Assert.Equal(2, results.Count(r => r.FinishReason == FinishReason.Length));
    }

    [Fact]
    public async Task Greedy_choices_are_one_sequence_handed_to_every_choice()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 4 });

        var results = await ReadAll(_client.Submit([1, 2, 3], new SamplingParams { MaxTokens = 6, Temperature = 0 }, n: 3));

        var byChoice = results.GroupBy(r => r.ChoiceIndex).OrderBy(g => g.Key).Select(g => g.Select(r => r.TokenId).ToList()).ToList();
        Assert.Equal(3, byChoice.Count);
        Assert.All(byChoice, tokens => Assert.Equal(byChoice[0], tokens));
        Assert.Equal(6, byChoice[0].Count);
        await WaitUntil(() => _client.IsIdle);
        Assert.Equal(6, _client.Stats.NumGeneratedTokens);   // computed once, not three times
    }

    [Fact]
    public async Task Stopping_the_engine_ends_every_stream_with_abort()
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 1 });
        var stream = _client.Submit([1, 2], new SamplingParams { MaxTokens = 60 });
        await WaitUntil(() => _client.Stats.NumRunning == 1);

        await _loop.StopAsync(CancellationToken.None);
        var results = await ReadAll(stream);

        Assert.Equal(FinishReason.Abort, results[^1].FinishReason);
        Assert.False(_client.IsReady);
        Assert.Throws<EngineRejectedException>(() => _client.Submit([1], new SamplingParams()));
    }

    [Fact]
    public async Task Stats_are_computed_when_asked_and_the_last_books_outlive_the_engine()
    {
        var notStarted = new EngineClient(Options.Create(new EngineOptions()), TimeProvider.System);
        Assert.Same(EngineStats.NotReady, notStarted.Stats);
        Assert.Same(EngineStats.NotReady, await notStarted.GetStatsAsync());
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 2 });
        Assert.Equal(0, (await _client.GetStatsAsync()).NumSteps);

        await ReadAll(_client.Submit([1, 2, 3], new SamplingParams { MaxTokens = 5, Temperature = 0 }));
        await WaitUntil(() => _client.IsIdle);

        var asked = await _client.GetStatsAsync();
        Assert.Equal(5, asked.NumGeneratedTokens);
        Assert.Equal(3, asked.NumPromptTokens);
        Assert.Equal(asked.NumBlocks, asked.NumFreeBlocks);
        Assert.Equal(asked with { StepTimes = null }, _client.Stats with { StepTimes = null });
        await _loop.StopAsync(CancellationToken.None);
        Assert.Equal(5, _client.Stats.NumGeneratedTokens);
        Assert.Equal(asked.NumSteps, (await _client.GetStatsAsync()).NumSteps);
    }

    [Theory]
    [InlineData(0f)]   // greedy: one sequence serves all three choices
    [InlineData(1f)]   // a sequence per choice
    public async Task A_choice_its_reader_ended_yields_nothing_more_while_the_others_run_to_the_end(float temperature)
    {
        await StartAsync(new EngineOptions { BlockSize = 4, MaxSequences = 4 });
        var stream = _client.Submit([1, 2, 3], new SamplingParams { MaxTokens = 12, Temperature = temperature, IgnoreEos = true }, n: 3);

        var seen = new List<Scheduling.StepResult>();
        int? endedAt = null;
        await foreach (var r in stream.ReadAllAsync())
        {
            seen.Add(r);
            if (r.ChoiceIndex == 1 && r.NumOutputTokens == 2)
            {
                stream.Abort(1);
                endedAt = seen.Count;
            }
        }

        Assert.NotNull(endedAt);
        Assert.DoesNotContain(seen.Skip(endedAt.Value), r => r.ChoiceIndex == 1);
        Assert.Equal(2, seen.Count(r => r.ChoiceIndex == 1));
        Assert.All(new[] { 0, 2 }, c => Assert.Equal(12, seen.Count(r => r.ChoiceIndex == c && r.TokenId is not null)));
        Assert.All(new[] { 0, 2 }, c => Assert.Equal(FinishReason.Length, seen.Last(r => r.ChoiceIndex == c).FinishReason));
        await WaitUntil(() => _client.IsIdle);
        Assert.Equal(_client.Stats.NumBlocks, _client.Stats.NumFreeBlocks);
    }
}
