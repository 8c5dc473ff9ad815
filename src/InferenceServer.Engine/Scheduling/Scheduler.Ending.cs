using InferenceServer.Engine.Sequences;

namespace InferenceServer.Engine.Scheduling;

// How sequences end: failed by the runner, cancelled by request, by choice or one by one; each ends in one place
// (FinishRunning, or leaving the queue) and gets its last result.
public sealed partial class Scheduler
{
    // Ends the scheduled sequences that the runner could not compute (their pending forks included).
    private List<StepResult> Fail(IEnumerable<ScheduledSequence> failed, string error)
    {
        var results = new List<StepResult>();
        foreach (var s in failed)
        {
            if (_live.GetValueOrDefault(s.SequenceId) is not { } seq)
                continue;
            results.AddRange(EndWithForks(seq, SequenceStatus.FinishedError, error));
        }
        return results;
    }

    /// <summary>
    /// Cancels every live choice of request <paramref name="requestId"/> (see <see cref="AbortSequence"/>); each gets a
    /// last result with finish reason Abort. Nothing when the request is not live.
    /// </summary>
    public IReadOnlyList<RequestOutput> Abort(long requestId)
    {
        if (_requests.Find(requestId) is not { } request)
            return [];
        var results = new List<StepResult>();
        foreach (var sequence in request.Sequences)
            results.AddRange(AbortSequence(sequence.SequenceId));
        return _requests.Collect(results, request);
    }

    /// <summary>
    /// Ends choice <paramref name="choiceIndex"/> of request <paramref name="requestId"/> with no further result for it
    /// (its client ended it, e.g. on a stop string); its sequence is cancelled once no live choice needs it. The output
    /// says whether the request is over.
    /// </summary>
    public IReadOnlyList<RequestOutput> Abort(long requestId, int choiceIndex)
    {
        if (_requests.Find(requestId) is not { } request)
            return [];
        var results = request.EndChoice(choiceIndex) is { } sequence ? AbortSequence(sequence.SequenceId) : [];
        return _requests.Collect(results, request);
    }

    /// <summary>
    /// Cancels a live sequence: a waiting one leaves the queue, a running one frees its blocks at once, and a
    /// sequence whose forks have not started takes them along. Returns the last result of each sequence ended.
    /// </summary>
    internal IReadOnlyList<StepResult> AbortSequence(long sequenceId)
    {
        if (_live.GetValueOrDefault(sequenceId) is not { } seq)
            return [];
        if (_running.SelectMany(r => r.PendingForks).Concat(_waiting.SelectMany(w => w.PendingForks))
            .FirstOrDefault(c => c.SequenceId == sequenceId) is { } pendingChild)
            return [AbortPendingFork(pendingChild)];
        return EndWithForks(seq, SequenceStatus.FinishedAborted, null);
    }

    private List<StepResult> EndWithForks(Sequence seq, SequenceStatus status, string? error)
    {
        var results = new List<StepResult>();
        foreach (var child in seq.PendingForks.ToArray())
            results.Add(status == SequenceStatus.FinishedAborted ? AbortPendingFork(child) : EndPendingFork(child, status, error));
        if (seq.Status == SequenceStatus.Running)
            FinishRunning(seq, status);
        else
        {
            // A preempted sequence has no KV left but still owns a sampler in the runner.
            if (seq.Status == SequenceStatus.Preempted)
                _kv.Release(seq, finished: true);
            _waiting.Remove(seq);
            _live.Remove(seq.SequenceId);
            seq.Finish(status);
        }
        results.Add(Result(seq, null, false, error));
        return results;
    }

    private StepResult AbortPendingFork(Sequence child) => EndPendingFork(child, SequenceStatus.FinishedAborted, null);

    private StepResult EndPendingFork(Sequence child, SequenceStatus status, string? error)
    {
        var parent = _live.Values.First(p => p.PendingForks.Contains(child));
        parent.MutablePendingForks.Remove(child);
        if (child.Status == SequenceStatus.Running)
            ReleaseStream(child, finished: true);
        _live.Remove(child.SequenceId);
        child.Finish(status);
        return Result(child, null, false, error);
    }

    private void FinishRunning(Sequence seq, SequenceStatus status)
    {
        ReleaseStream(seq, finished: true, retain: status != SequenceStatus.FinishedError);
        _running.Remove(seq);
        _live.Remove(seq.SequenceId);
        seq.Finish(status);
    }

    private static StepResult Result(Sequence seq, int? tokenId, bool eog, string? error = null) =>
        new(seq.SequenceId, tokenId, eog, FinishReasons.FromStatus(seq.Status), seq.NumPromptTokens, seq.NumOutputTokens,
            seq.NumCachedTokens, error, seq.ChoiceIndex, seq.FirstScheduledTime - seq.ArrivalTime);
}
