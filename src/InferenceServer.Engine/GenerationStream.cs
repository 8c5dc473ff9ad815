using System.Runtime.CompilerServices;
using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine;

/// <summary>
/// The results of one submitted request — all of its choices, each result tagged with its choice index — in step
/// order. Reading is single-consumer. Cancelling the read, or disposing before every choice has finished, aborts
/// the request so its blocks return to the pool within one step.
/// </summary>
/// <remarks>
/// Greedy choices are one computation: the engine runs a single sequence and this stream hands each of its results
/// to every choice, so they are identical by construction (forked rows would round apart in llama.cpp's batched
/// kernels and could flip near-ties) and cost one sequence.
/// </remarks>
public sealed class GenerationStream : IAsyncDisposable
{
    private readonly ChannelReader<StepResult> _results;
    private readonly Action<long> _abort;
    private readonly long[] _sequenceIds;
    private readonly HashSet<long> _live;
    private readonly HashSet<int> _abortedReplicas = [];

    /// <summary>A stream over <paramref name="results"/>; <paramref name="abort"/> cancels one sequence by id.</summary>
    /// <param name="sequenceIds">The engine's sequences by choice, or one that serves all <paramref name="numChoices"/> choices.</param>
    /// <param name="numPromptTokens">Prompt length in tokens.</param>
    /// <param name="results">The engine's results for these sequences.</param>
    /// <param name="abort">Asks the engine to cancel a sequence.</param>
    /// <param name="numChoices">Choices of the request; 0 means one per sequence.</param>
    internal GenerationStream(long[] sequenceIds, int numPromptTokens, ChannelReader<StepResult> results, Action<long> abort, int numChoices = 0)
    {
        _sequenceIds = sequenceIds;
        NumChoices = Math.Max(numChoices, sequenceIds.Length);
        _live = [.. sequenceIds];
        NumPromptTokens = numPromptTokens;
        _results = results;
        _abort = abort;
    }

    /// <summary>The engine's id for the request's first sequence (choice 0).</summary>
    public long SequenceId => _sequenceIds[0];
    /// <summary>Number of choices.</summary>
    public int NumChoices { get; }

    private bool Replicated => _sequenceIds.Length < NumChoices;
    /// <summary>Prompt length in tokens.</summary>
    public int NumPromptTokens { get; }

    /// <summary>Yields every step result; each choice's last one carries its finish reason.</summary>
    public async IAsyncEnumerable<StepResult> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var result in _results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (result.FinishReason is not null)
                    lock (_live)
                        _live.Remove(result.SequenceId);
                yield return result;
                if (Replicated)
                    for (int choice = 1; choice < NumChoices; choice++)
                        yield return result with { ChoiceIndex = choice };
                if (IsFinished)
                    yield break;
                // Results may already be buffered; a cancelled reader must stop now, not drain them.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            Abort();
        }
    }

    private bool IsFinished
    {
        get { lock (_live) return _live.Count == 0; }
    }

    /// <summary>Asks the engine to cancel every choice still running (no-op once all finished).</summary>
    public void Abort()
    {
        long[] live;
        lock (_live)
        {
            live = [.. _live];
            _live.Clear();
        }
        foreach (long id in live)
            _abort(id);
    }

    /// <summary>Asks the engine to cancel one choice (for example when it matched a stop string).</summary>
    public void Abort(int choiceIndex)
    {
        if (Replicated)
        {
            // The one sequence serves every choice: it stops when the last of them does.
            lock (_abortedReplicas)
                if (!_abortedReplicas.Add(choiceIndex) || _abortedReplicas.Count < NumChoices)
                    return;
            Abort();
            return;
        }
        long id = _sequenceIds[choiceIndex];
        bool live;
        lock (_live)
            live = _live.Remove(id);
        if (live)
            _abort(id);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }
}
