using System.Runtime.CompilerServices;
using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine;

/// <summary>
/// The results of one submitted request — all of its choices, each result tagged with its choice index — in step
/// order. Reading is single-consumer. Cancelling the read, or disposing before the request has finished, aborts
/// it so its blocks return to the pool within one step.
/// </summary>
/// <remarks>
/// The engine emits one <see cref="RequestOutput"/> per request per step and alone knows which choices still run (see
/// <see cref="Sequences.EngineRequest"/>); this stream flattens those outputs. Greedy choices are one computation in
/// the engine, whose results it hands to every live choice, so they are identical by construction.
/// After <see cref="Abort(int)"/> no result of that choice is yielded, not even one the engine produced before it heard
/// of the abort.
/// </remarks>
public sealed class GenerationStream : IAsyncDisposable
{
    private readonly ChannelReader<RequestOutput> _outputs;
    private readonly Action<long, int?> _abort;
    // Choices the reader ended; results of theirs already on the way are not yielded.
    private readonly bool[] _endedByReader;
    private int _over;

    /// <summary>A stream over <paramref name="outputs"/>; <paramref name="abort"/> cancels the request or one choice of it.</summary>
    /// <param name="requestId">The engine's request id.</param>
    /// <param name="sequenceId">The engine's id of choice 0's sequence.</param>
    /// <param name="numChoices">Choices of the request.</param>
    /// <param name="numPromptTokens">Prompt length in tokens.</param>
    /// <param name="outputs">The engine's outputs for the request.</param>
    /// <param name="abort">Asks the engine to cancel the request (choice null) or one choice.</param>
    internal GenerationStream(long requestId, long sequenceId, int numChoices, int numPromptTokens, ChannelReader<RequestOutput> outputs,
        Action<long, int?> abort)
    {
        RequestId = requestId;
        SequenceId = sequenceId;
        NumChoices = numChoices;
        NumPromptTokens = numPromptTokens;
        _outputs = outputs;
        _abort = abort;
        _endedByReader = new bool[numChoices];
    }

    /// <summary>The engine's id for the request.</summary>
    public long RequestId { get; }
    /// <summary>The engine's id for the sequence of choice 0 (the one that prefills the prompt).</summary>
    public long SequenceId { get; }
    /// <summary>Number of choices.</summary>
    public int NumChoices { get; }
    /// <summary>Prompt length in tokens.</summary>
    public int NumPromptTokens { get; }

    /// <summary>Yields every step result; each choice's last one carries its finish reason (but a choice ended by <see cref="Abort(int)"/>).</summary>
    public async IAsyncEnumerable<StepResult> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var output in _outputs.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (output.Finished)
                    Volatile.Write(ref _over, 1);
                foreach (var result in output.Results)
                    if (!EndedByReader(result.ChoiceIndex))
                        yield return result;
                if (output.Finished)
                    yield break;
                // Outputs may already be buffered; a cancelled reader must stop now, not drain them.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            Abort();
        }
    }

    private bool EndedByReader(int choiceIndex)
    {
        lock (_endedByReader)
            return _endedByReader[choiceIndex];
    }

    /// <summary>Asks the engine to cancel every choice still running (no-op once the request finished).</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _over, 1) == 0)
            _abort(RequestId, null);
    }

    /// <summary>
    /// Asks the engine to cancel one choice (for example when it matched a stop string); from now on the stream yields
    /// no result of that choice. The request finishes when its last live choice does.
    /// </summary>
    public void Abort(int choiceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(choiceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(choiceIndex, NumChoices);
        lock (_endedByReader)
        {
            if (_endedByReader[choiceIndex])
                return;
            _endedByReader[choiceIndex] = true;
        }
        if (Volatile.Read(ref _over) == 0)
            _abort(RequestId, choiceIndex);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }
}
