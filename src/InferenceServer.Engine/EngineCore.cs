using System.Diagnostics;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.KvCache;
using InferenceServer.Engine.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Engine;

/// <summary>
/// The synchronous engine: a step is schedule, execute, update over one scheduler (with its KV books) and one model
/// runner. Driven by the engine thread, and directly by tests. Not thread-safe.
/// </summary>
/// <remarks>
/// A failed batch never ends a sequence that did nothing wrong. When the runner throws
/// <see cref="ModelRunnerException"/>, the runner's memory is reconciled with the books (whatever no running sequence
/// or cached block accounts for goes), idle cached blocks are evicted to make room, and the batch is retried once;
/// if it fails again, each sequence is retried alone and only those that fail alone end with an error. Any other
/// exception is a bug and propagates.
/// </remarks>
public sealed partial class EngineCore
{
    private readonly ILogger _logger;

    /// <summary>Creates a core over <paramref name="scheduler"/> and <paramref name="runner"/>.</summary>
    public EngineCore(Scheduler scheduler, IModelRunner runner, ILogger? logger = null)
    {
        Scheduler = scheduler;
        Runner = runner;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The scheduler and its KV books.</summary>
    public Scheduler Scheduler { get; }
    /// <summary>The model runner.</summary>
    public IModelRunner Runner { get; }
    /// <summary>Steps that computed something since start.</summary>
    public long NumSteps { get; private set; }
    /// <summary>Steps whose first attempt failed and went through recovery, since start.</summary>
    public long NumFailedSteps { get; private set; }
    /// <summary>Cumulative time in <see cref="Scheduling.Scheduler.Schedule"/>, the runner, and the update (see <see cref="StepTimes"/>).</summary>
    public TimeSpan ScheduleTime { get; private set; }
    /// <inheritdoc cref="ScheduleTime"/>
    public TimeSpan ExecuteTime { get; private set; }
    /// <inheritdoc cref="ScheduleTime"/>
    public TimeSpan UpdateTime { get; private set; }
    /// <summary>Of <see cref="ExecuteTime"/>, the time the runner reported in forward passes and in sampling.</summary>
    public TimeSpan ForwardTime { get; private set; }
    /// <inheritdoc cref="ForwardTime"/>
    public TimeSpan SampleTime { get; private set; }

    /// <summary>The step profile so far: cumulative milliseconds per phase; null before the first step.</summary>
    public StepTimes? StepTimes => NumSteps == 0 ? null : new StepTimes(ScheduleTime.TotalMilliseconds,
        ExecuteTime.TotalMilliseconds, UpdateTime.TotalMilliseconds, ForwardTime.TotalMilliseconds, SampleTime.TotalMilliseconds);

    /// <summary>
    /// Runs one step: schedule, execute, update. Returns its plan and one output per request with news. KV changes
    /// reach the runner only inside the plan (<see cref="SchedulerOutput.Events"/>), so a step with nothing to compute
    /// still carries the frees of aborts and finished sequences to llama.cpp's memory.
    /// </summary>
    public StepOutput Step()
    {
        long start = Stopwatch.GetTimestamp();
        var plan = Scheduler.Schedule();
        long scheduled = Stopwatch.GetTimestamp();
        var (output, failed) = Execute(plan);
        long executed = Stopwatch.GetTimestamp();
        var outputs = Scheduler.Update(plan, output, failed);
        if (!plan.IsEmpty)
            Profile(start, scheduled, executed, output);
        return new StepOutput(plan, outputs);
    }

    /// <summary>Queues <paramref name="request"/> (see <see cref="Scheduling.Scheduler.Add(Sequences.EngineRequest)"/>).</summary>
    public void Add(Sequences.EngineRequest request) => Scheduler.Add(request);

    /// <summary>
    /// Cancels every live choice of a request (see <see cref="Scheduling.Scheduler.Abort(long)"/>); its blocks are free
    /// at once, its cells go with the next step's plan.
    /// </summary>
    public IReadOnlyList<RequestOutput> Abort(long requestId) => Scheduler.Abort(requestId);

    /// <summary>Ends one choice of a request with no further result for it (see <see cref="Scheduling.Scheduler.Abort(long, int)"/>).</summary>
    public IReadOnlyList<RequestOutput> Abort(long requestId, int choiceIndex) => Scheduler.Abort(requestId, choiceIndex);

    /// <summary>True when KV changes wait for the next plan; with nothing to compute, the next step is empty and carries them.</summary>
    public bool HasPendingKvEvents => Scheduler.KvCache.HasEvents;

    private void Profile(long start, long scheduled, long executed, RunnerOutput output)
    {
        NumSteps++;
        ScheduleTime += Stopwatch.GetElapsedTime(start, scheduled);
        ExecuteTime += Stopwatch.GetElapsedTime(scheduled, executed);
        UpdateTime += Stopwatch.GetElapsedTime(executed);
        ForwardTime += output.ForwardTime;
        SampleTime += output.SampleTime;
    }

    private (RunnerOutput Output, IReadOnlyList<ScheduledSequence> Failed) Execute(SchedulerOutput plan)
    {
        try
        {
            return (Runner.Execute(plan), []);
        }
        catch (ModelRunnerException ex)
        {
            NumFailedSteps++;
            Log.StepFailed(_logger, plan.Scheduled.Count, plan.NumScheduledTokens, ex.Message);
        }
        Reconcile(done: []);
        // Idle cached cells are the only ones the books can give up without touching a live sequence.
        Scheduler.KvCache.ResetPrefixCache();
        try
        {
            return (Runner.Execute(plan with { Events = Scheduler.TakeKvEvents() }), []);
        }
        catch (ModelRunnerException ex)
        {
            Log.RetryFailed(_logger, plan.Scheduled.Count, ex.Message);
        }
        Reconcile(done: []);
        var sampled = new List<SampledToken>();
        TimeSpan forward = default, sample = default;
        var done = new List<ScheduledSequence>();
        var failed = new List<ScheduledSequence>();
        foreach (var s in plan.Scheduled)
        {
            try
            {
                var alone = Runner.Execute(new SchedulerOutput(KvEvents.None, [s], s.TokenIds.Count, []));
                sampled.AddRange(alone.Sampled);
                (forward, sample) = (forward + alone.ForwardTime, sample + alone.SampleTime);
                done.Add(s);
            }
            catch (ModelRunnerException ex)
            {
                Log.SequenceFailed(_logger, s.SequenceId, s.TokenIds.Count, ex.Message);
                failed.Add(s);
                Reconcile(done);
            }
        }
        return (new RunnerOutput(sampled, forward, sample), failed);
    }

    // Makes the runner's memory match the books, counting the sequences of this step already computed (not yet in the
    // books) with their new tokens, and their forks with the parent's cells.
    private void Reconcile(IReadOnlyList<ScheduledSequence> done)
    {
        var books = Scheduler.Books();
        if (done.Count > 0)
        {
            var computed = books.NumComputedByStream.ToDictionary();
            foreach (var s in done)
                foreach (int stream in s.Forks.Select(f => f.KvStream).Prepend(s.KvStream))
                    computed[stream] = s.StartPosition + s.TokenIds.Count;
            books = books with { NumComputedByStream = computed };
        }
        var missing = Runner.Reconcile(books);
        if (missing.Count > 0)
        {
            Log.CachedBlocksMissing(_logger, missing.Count);
            Scheduler.KvCache.ForgetCachedBlocks(missing);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Warning, "Step of {NumSequences} sequences ({NumTokens} tokens) failed: {Reason}; reconciling memory with the books and retrying")]
        public static partial void StepFailed(ILogger logger, int numSequences, int numTokens, string reason);

        [LoggerMessage(1011, LogLevel.Warning, "Retry of the step failed: {Reason}; computing its {NumSequences} sequences one by one")]
        public static partial void RetryFailed(ILogger logger, int numSequences, string reason);

        [LoggerMessage(1012, LogLevel.Error, "Sequence {SequenceId} failed alone ({NumTokens} tokens): {Reason}; it ends with an error")]
        public static partial void SequenceFailed(ILogger logger, long sequenceId, int numTokens, string reason);

        [LoggerMessage(1013, LogLevel.Error, "Reconciliation found {NumBlocks} cached blocks without cells in the model's memory; they leave the prefix cache")]
        public static partial void CachedBlocksMissing(ILogger logger, int numBlocks);
    }
}
