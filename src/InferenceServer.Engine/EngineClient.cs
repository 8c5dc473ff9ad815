using System.Threading.Channels;
using InferenceServer.Engine.Execution;
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
    private int _numInInbox;
    private volatile EngineStats _stats = EngineStats.NotReady;
    private volatile ModelInfo? _model;
    private volatile bool _stopping;

    /// <summary>Creates a client; the engine loop makes it ready once the model is loaded.</summary>
    public EngineClient(IOptions<EngineOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _seeds = _options.Seed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>True once the model is loaded and the engine loop runs.</summary>
    public bool IsReady => _model is not null && !_stopping;
    /// <summary>The loaded model; null before.</summary>
    public ModelInfo? Model => _model;
    /// <summary>The engine's latest books.</summary>
    public EngineStats Stats => _stats;

    internal ChannelReader<EngineCommand> Inbox => _inbox.Reader;

    /// <summary>
    /// Queues a sequence for <paramref name="promptTokenIds"/>.
    /// </summary>
    /// <exception cref="EngineRejectedException">Not ready, shutting down, queue full, or prompt plus max_tokens beyond the context.</exception>
    public GenerationStream Submit(IReadOnlyList<int> promptTokenIds, SamplingParams sampling)
    {
        var model = _model;
        if (_stopping)
            throw new EngineRejectedException(RejectionReason.ShuttingDown, "The server is shutting down.");
        if (model is null)
            throw new EngineRejectedException(RejectionReason.NotReady, "The model is still loading.");
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.MaxTokens, 1);
        int total = promptTokenIds.Count + sampling.MaxTokens;
        if (total > model.MaxModelLength)
            throw new EngineRejectedException(RejectionReason.ContextLengthExceeded,
                $"This model's maximum context length is {model.MaxModelLength} tokens. However, you requested {total} tokens " +
                $"({promptTokenIds.Count} in the messages, {sampling.MaxTokens} in the completion). " +
                "Please reduce the length of the messages or completion.");
        if (_stats.NumWaiting + Volatile.Read(ref _numInInbox) >= _options.MaxWaiting)
            throw new EngineRejectedException(RejectionReason.QueueFull, "Too many requests are waiting; retry shortly.");

        if (sampling.Seed is null)
            sampling = sampling with { Seed = NextSeed() };
        long id = Interlocked.Increment(ref _nextSequenceId);
        var sequence = new Sequence(id, promptTokenIds, sampling, _time.GetUtcNow());
        var results = Channel.CreateUnbounded<StepResult>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Interlocked.Increment(ref _numInInbox);
        _inbox.Writer.TryWrite(new EngineCommand.Add(sequence, results.Writer));
        return new GenerationStream(id, promptTokenIds.Count, results.Reader, Abort);
    }

    /// <summary>Asks the engine thread to cancel <paramref name="sequenceId"/>.</summary>
    public void Abort(long sequenceId) => _inbox.Writer.TryWrite(new EngineCommand.Abort(sequenceId));

    private uint NextSeed()
    {
        lock (_seeds)
            return (uint)_seeds.NextInt64(0, uint.MaxValue);
    }

    internal void OnDrained(int count) => Interlocked.Add(ref _numInInbox, -count);
    internal void SetReady(ModelInfo model) => _model = model;
    internal void Publish(EngineStats stats) => _stats = stats;
    internal void BeginStopping() => _stopping = true;
}
