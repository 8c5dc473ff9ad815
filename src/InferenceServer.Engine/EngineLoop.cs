using System.Threading.Channels;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Scheduling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceServer.Engine;

/// <summary>
/// The engine: a hosted service that loads the model, then runs steps on one dedicated thread which alone owns
/// the scheduler, the KV books and the model runner. Each step is schedule, execute, update. Other threads talk to
/// it only through <see cref="EngineClient"/>'s inbox.
/// </summary>
public sealed partial class EngineLoop : BackgroundService
{
    private readonly EngineClient _client;
    private readonly IModelRunnerFactory _runnerFactory;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EngineLoop> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly Dictionary<long, ChannelWriter<RequestOutput>> _streams = [];
    private IModelRunner? _runner;
    private EngineCore? _core;
    private KvCacheReport? _kvReport;

    /// <summary>Creates the loop; nothing runs until the host starts it.</summary>
    public EngineLoop(EngineClient client, IModelRunnerFactory runnerFactory, IOptions<EngineOptions> options,
        TimeProvider time, IHostApplicationLifetime lifetime, ILogger<EngineLoop> logger)
    {
        _lifetime = lifetime;
        _client = client;
        _runnerFactory = runnerFactory;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LoadedModel loaded;
        try
        {
            loaded = await _runnerFactory.CreateAsync(_options, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // The server cannot serve without its model: say why, then stop the process with a failure code.
            Log.ModelLoadFailed(_logger, ex.Message, ex);
            Environment.ExitCode = 1;
            _lifetime.StopApplication();
            return;
        }

        _runner = loaded.Runner;
        int numBlocks = _runner.Info.NumBlocks;
        var kv = new KvCacheManager(numBlocks, _options.BlockSize, _options.PrefixCaching ? _runner.Info.NumCacheHolders : 0,
            _options.PrefixCacheIdleBlocks);
        var scheduler = new Scheduler(kv, _runner.Info, _options.MaxSequences, _options.MaxBatchTokens, _options.ChunkedPrefill, _time,
            fixedChunks: _options.Deterministic,
            retainStreams: _options.PrefixCaching && _options.ResolveKvLayout() == KvLayout.PerSequence);
        _core = new EngineCore(scheduler, _runner, _logger);
        _kvReport = _runner.Info.KvShape is { } shape ? KvCacheReport.From(shape) : null;
        _client.SetReady(_runner.Info, loaded.Served);
        Log.EngineStarted(_logger, numBlocks, _options.BlockSize, _options.MaxSequences, _runner.Info.MaxModelLength);
        if (_kvReport is { } report)
            Log.KvCache(_logger, report.Type, report.BytesPerToken, report.TotalBytes / (1024.0 * 1024.0), numBlocks, report.GqaRatio);

        await Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private void Run(CancellationToken stoppingToken)
    {
        var core = _core!;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                DrainInbox(core);
                if (core.Scheduler.HasWork || core.HasPendingKvEvents)
                    Step(core, stoppingToken);
                else
                    WaitForInbox(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _client.BeginStopping();
            foreach (long id in _streams.Keys.ToArray())
                Deliver(core.Abort(id));
            // The flag goes up before the last look at the inbox: a command posted later sees it and answers itself.
            _client.EndLoop(ComputeStats(core));
            RefuseInbox(core);
            _runner!.Dispose();
        }
    }

    /// <summary>One step of the core; then outputs go to their requests' streams.</summary>
    private void Step(EngineCore core, CancellationToken stoppingToken)
    {
        var (plan, outputs) = core.Step();
        _client.SetNumWaiting(core.Scheduler.NumWaiting);
        Deliver(outputs);
        if (plan.Preempted.Count > 0)
            Log.Preempted(_logger, plan.Preempted.Count, core.Scheduler.NumWaiting);
        // Nothing computed and nobody preempted: the books cannot change, so neither can the next plan, until a
        // command (an abort, a new request) arrives. Wait for it instead of polling.
        if (plan.IsEmpty && plan.Preempted.Count == 0 && core.Scheduler.HasWork)
            WaitForInbox(stoppingToken);
    }

    private void DrainInbox(EngineCore core)
    {
        int added = 0;
        while (_client.Inbox.TryRead(out var command))
        {
            switch (command)
            {
                case EngineCommand.Add add:
                    _streams.Add(add.Request.RequestId, add.Outputs);
                    core.Add(add.Request);
                    added++;
                    break;
                case EngineCommand.Abort { ChoiceIndex: { } choice } abort:
                    Deliver(core.Abort(abort.RequestId, choice));
                    break;
                case EngineCommand.Abort abort:
                    Deliver(core.Abort(abort.RequestId));
                    break;
                case EngineCommand.AbortAll:
                    foreach (long id in _streams.Keys.ToArray())
                        Deliver(core.Abort(id));
                    break;
                case EngineCommand.Snapshot snapshot:
                    snapshot.Reply.TrySetResult(KvCacheSnapshot.Capture(core.Scheduler, core.NumSteps));
                    break;
                case EngineCommand.Stats stats:
                    stats.Reply.TrySetResult(ComputeStats(core));
                    break;
            }
        }
        if (added > 0)
            _client.OnDrained(added, core.Scheduler.NumWaiting);
    }

    private void WaitForInbox(CancellationToken stoppingToken) =>
        _client.WaitForCommands(Timeout.InfiniteTimeSpan, stoppingToken);

    private void Deliver(IReadOnlyList<RequestOutput> outputs)
    {
        foreach (var output in outputs)
        {
            if (!_streams.TryGetValue(output.RequestId, out var writer))
                continue;
            writer.TryWrite(output);
            if (output.Finished)
            {
                _streams.Remove(output.RequestId);
                writer.TryComplete();
            }
        }
    }

    // Answers what is left in the inbox once the loop has ended: new requests are refused, questions get the last books.
    private void RefuseInbox(EngineCore core)
    {
        while (_client.Inbox.TryRead(out var command))
            switch (command)
            {
                case EngineCommand.Add add:
                    add.Outputs.TryComplete(new EngineRejectedException(RejectionReason.ShuttingDown, "The server is shutting down."));
                    break;
                case EngineCommand.Snapshot snapshot:
                    snapshot.Reply.TrySetResult(null);
                    break;
                case EngineCommand.Stats stats:
                    stats.Reply.TrySetResult(ComputeStats(core));
                    break;
            }
    }

    // The books now, computed only when someone asks (a scrape, /v1/engine/stats, the drain), never per step.
    private EngineStats ComputeStats(EngineCore core)
    {
        var s = core.Scheduler;
        var kv = s.KvCache;
        return new EngineStats(_client.IsReady, s.NumRunning, s.NumWaiting, kv.NumBlocks, kv.NumFreeBlocks, kv.NumCachedBlocks,
            kv.NumCachedIdleBlocks, kv.BlockSize, s.NumPreemptions, s.NumPromptTokens, s.NumCachedPromptTokens,
            s.NumGeneratedTokens, kv.NumEvictions, core.NumSteps, _kvReport, core.StepTimes, core.NumFailedSteps);
    }

    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "Engine started: {NumBlocks} blocks of {BlockSize} tokens, {MaxSequences} sequences, max model length {MaxModelLength} tokens")]
        public static partial void EngineStarted(ILogger logger, int numBlocks, int blockSize, int maxSequences, int maxModelLength);

        [LoggerMessage(1004, LogLevel.Information, "KV cache: {Type}, {BytesPerToken} bytes per token, {TotalMiB:F1} MiB in {NumBlocks} blocks; GQA ratio {GqaRatio}")]
        public static partial void KvCache(ILogger logger, string type, double bytesPerToken, double totalMiB, int numBlocks, double gqaRatio);

        [LoggerMessage(1001, LogLevel.Critical, "Model load failed: {Reason}")]
        public static partial void ModelLoadFailed(ILogger logger, string reason, Exception exception);

        [LoggerMessage(1003, LogLevel.Debug, "Preempted {NumPreempted} sequences; {NumWaiting} waiting")]
        public static partial void Preempted(ILogger logger, int numPreempted, int numWaiting);
    }
}
