using System.Threading.Channels;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;
using Microsoft.Extensions.Options;

namespace InferenceServer.Engine;

/// <summary>
/// Thread-safe front of the engine: submits sequences to the engine thread's inbox and hands back their result
/// streams. All checks that can fail happen in <see cref="Submit"/>, before any result is produced.
/// </summary>
public sealed class EngineClient
{
    private readonly Channel<EngineCommand> _inbox = Channel.CreateUnbounded<EngineCommand>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _seeds;
    private long _nextSequenceId;
    private long _nextRequestId;
    private int _numInInbox;
    // Wakes the engine thread with a plain kernel wait: an async wait on the channel completes through the thread
    // pool, which a busy host can starve for seconds.
    private readonly ManualResetEventSlim _wake = new(false);
    private volatile EngineStats? _finalStats;
    private int _numWaiting;
    private volatile ModelInfo? _model;
    private volatile ServedModel? _served;
    private volatile bool _stopping;
    private volatile bool _loopEnded;

    /// <summary>Creates a client; the engine loop makes it ready once the model is loaded.</summary>
    public EngineClient(IOptions<EngineOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _seeds = _options.Seed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>True once the model is loaded and the engine loop runs.</summary>
    public bool IsReady => _model is not null && !_stopping;
    /// <summary>True once the server stopped taking requests (draining or shut down).</summary>
    public bool IsStopping => _stopping;
    /// <summary>The loaded model; null before.</summary>
    public ModelInfo? Model => _model;
    /// <summary>The loaded model's tokenizer, chat template and grammar check; null before it is loaded.</summary>
    public ServedModel? Served => _served;
    /// <summary>
    /// The engine's books now, computed by the engine thread between two steps (so a read may wait for the running step
    /// to end); <see cref="EngineStats.NotReady"/> before the model is loaded, the last books once the engine stopped.
    /// Prefer <see cref="GetStatsAsync"/> where a caller can await.
    /// </summary>
    public EngineStats Stats => AskStats().GetAwaiter().GetResult();

    /// <summary>The engine's books now, as <see cref="Stats"/>, without blocking a thread while the engine finishes its step.</summary>
    public Task<EngineStats> GetStatsAsync(CancellationToken cancellationToken = default) => AskStats().WaitAsync(cancellationToken);

    private Task<EngineStats> AskStats()
    {
        if (_model is null)
            return Task.FromResult(EngineStats.NotReady);
        if (_finalStats is { } final)
            return Task.FromResult(final);
        var reply = new TaskCompletionSource<EngineStats>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new EngineCommand.Stats(reply));
        // The loop sets its last books before its last look at the inbox: a command posted later is answered here.
        if (_finalStats is { } last)
            reply.TrySetResult(last);
        return reply.Task;
    }

    internal ChannelReader<EngineCommand> Inbox => _inbox.Reader;

    /// <summary>
    /// Queues a request for <paramref name="promptTokenIds"/> with <paramref name="n"/> choices: the prompt is
    /// prefilled once and forked to the other n − 1 sequences. Choice i samples with seed Mix(seed, i), so choices
    /// differ from each other and repeat with the same seed; at temperature 0 one sequence serves all n choices.
    /// </summary>
    /// <exception cref="EngineRejectedException">Not ready, shutting down, queue full, or prompt plus max_tokens beyond the context.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is outside 1 … MaxN or max_tokens is below 1.</exception>
    public GenerationStream Submit(IReadOnlyList<int> promptTokenIds, SamplingParams sampling, int n = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Math.Min(_options.MaxN, _options.MaxSequences));
        var model = _model;
        if (_stopping)
            throw new EngineRejectedException(RejectionReason.ShuttingDown, "The server is shutting down.");
        if (model is null)
            throw new EngineRejectedException(RejectionReason.NotReady, "The model is still loading.");
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.MaxTokens, 1);
        long total = (long)promptTokenIds.Count + sampling.MaxTokens;
        if (total > model.MaxModelLength)
            throw new EngineRejectedException(RejectionReason.ContextLengthExceeded,
                $"This model's maximum context length is {model.MaxModelLength} tokens. However, you requested {total} tokens " +
                $"({promptTokenIds.Count} in the prompt, {sampling.MaxTokens} in the completion). " +
                "Please reduce the length of the prompt or completion.");
        // Each extra choice owns a copy of the prompt's partial last block from admission on; a request whose blocks
        // could not fit even into an empty cache would wait at the head of the queue forever, blocking everyone.
        // Greedy choices are identical by definition: one sequence serves them all (see EngineRequest).
        int numSequences = sampling.IsGreedy ? 1 : n;
        int bs = _options.BlockSize, numPromptTokens = promptTokenIds.Count;
        int neededBlocks = (numPromptTokens + bs - 1) / bs + (numSequences - 1) * (numPromptTokens % bs == 0 ? 0 : 1);
        if (neededBlocks > model.NumBlocks)
            throw new EngineRejectedException(RejectionReason.ContextLengthExceeded,
                $"{n} choices of this {numPromptTokens}-token prompt need {neededBlocks} KV blocks of {bs} tokens at once; " +
                $"the KV cache holds {model.NumBlocks}. Please reduce the length of the prompt or n.");
        if (Volatile.Read(ref _numWaiting) + Volatile.Read(ref _numInInbox) >= _options.MaxWaiting)
            throw new EngineRejectedException(RejectionReason.QueueFull, "Too many requests are waiting; retry shortly.");

        if (sampling.Seed is null)
            sampling = sampling with { Seed = NextSeed() };
        var now = _time.GetUtcNow();
        var sequence = new Sequence(Interlocked.Increment(ref _nextSequenceId), promptTokenIds, sampling, now);
        var forks = Enumerable.Range(1, numSequences - 1).Select(i => new Sequence(Interlocked.Increment(ref _nextSequenceId), promptTokenIds,
            sampling with { Seed = ChoiceSeed(sampling.Seed!.Value, i) }, now, choiceIndex: i));
        var request = new EngineRequest(Interlocked.Increment(ref _nextRequestId), [sequence, .. forks], n);
        var outputs = Channel.CreateUnbounded<RequestOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Interlocked.Increment(ref _numInInbox);
        Post(new EngineCommand.Add(request, outputs.Writer));
        return new GenerationStream(request.RequestId, sequence.SequenceId, n, promptTokenIds.Count, outputs.Reader, Abort);
    }

    /// <summary>
    /// Asks the engine thread for a snapshot of its KV cache, taken between two steps so it is consistent; null
    /// before the model is loaded and once the engine has stopped.
    /// </summary>
    public async Task<KvCache.KvCacheSnapshot?> GetKvSnapshotAsync(CancellationToken cancellationToken)
    {
        if (_model is null || _loopEnded)
            return null;
        var reply = new TaskCompletionSource<KvCache.KvCacheSnapshot?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new EngineCommand.Snapshot(reply));
        // The loop sets the flag before its last look at the inbox: a command posted later is answered here.
        if (_loopEnded)
            reply.TrySetResult(null);
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the engine thread to cancel request <paramref name="requestId"/>, or only its choice <paramref name="choiceIndex"/>.</summary>
    public void Abort(long requestId, int? choiceIndex = null) => Post(new EngineCommand.Abort(requestId, choiceIndex));

    private void Post(EngineCommand command)
    {
        _inbox.Writer.TryWrite(command);
        _wake.Set();
    }

    /// <summary>Blocks the engine thread until a command arrives (or <paramref name="timeout"/> passes), then re-arms.</summary>
    internal void WaitForCommands(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _wake.Wait(timeout, cancellationToken);
        // Anything posted before this point is in the inbox already; anything after sets the event again.
        _wake.Reset();
    }

    // Choice i of a request draws from its own stream: SplitMix64's finaliser over (seed, i).
    private static uint ChoiceSeed(uint seed, int choice)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)choice;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (uint)(z ^ (z >> 31));
    }

    private uint NextSeed()
    {
        lock (_seeds)
            return (uint)_seeds.NextInt64(0, uint.MaxValue);
    }

    /// <summary>True while nothing waits or runs and nothing is on its way to the engine.</summary>
    public bool IsIdle => Volatile.Read(ref _numInInbox) == 0 && Stats is { NumRunning: 0, NumWaiting: 0 };

    /// <summary>Stops taking requests (Submit refuses with ShuttingDown, IsReady turns false); running ones go on.</summary>
    public void StopAccepting() => _stopping = true;

    /// <summary>Aborts every request in the engine; their streams end with finish reason Abort.</summary>
    public void AbortAll() => Post(new EngineCommand.AbortAll());

    // The waiting count is updated before the inbox count drops, so the queue gate never sees a request in neither.
    internal void OnDrained(int count, int numWaiting)
    {
        SetNumWaiting(numWaiting);
        Interlocked.Add(ref _numInInbox, -count);
    }

    /// <summary>The engine thread's count of waiting sequences, for the queue gate in <see cref="Submit"/> (no stats round trip per request).</summary>
    internal void SetNumWaiting(int numWaiting) => Volatile.Write(ref _numWaiting, numWaiting);

    internal void SetReady(ModelInfo model, ServedModel served)
    {
        // Served first: whoever sees the engine ready finds its tokenizer.
        _served = served;
        _model = model;
    }

    internal void BeginStopping() => _stopping = true;

    internal void EndLoop(EngineStats last)
    {
        _finalStats = last;
        _loopEnded = true;
    }
}
