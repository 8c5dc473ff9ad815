using System.Runtime.CompilerServices;
using System.Threading.Channels;
using InferenceServer.Engine.Scheduling;

namespace InferenceServer.Engine;

/// <summary>
/// The results of one submitted sequence, in order. Reading is single-consumer. Cancelling the read, or disposing
/// before the last result, aborts the sequence so its blocks return to the pool within one step.
/// </summary>
public sealed class GenerationStream : IAsyncDisposable
{
    private readonly ChannelReader<StepResult> _results;
    private readonly Action<long> _abort;
    private bool _finished;

    internal GenerationStream(long sequenceId, int numPromptTokens, ChannelReader<StepResult> results, Action<long> abort)
    {
        SequenceId = sequenceId;
        NumPromptTokens = numPromptTokens;
        _results = results;
        _abort = abort;
    }

    /// <summary>The engine's id for this sequence.</summary>
    public long SequenceId { get; }
    /// <summary>Prompt length in tokens.</summary>
    public int NumPromptTokens { get; }

    /// <summary>Yields every step result; the last one carries the finish reason.</summary>
    public async IAsyncEnumerable<StepResult> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var result in _results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (result.FinishReason is not null)
                    _finished = true;
                yield return result;
                if (_finished)
                    yield break;
                // Results may already be buffered; a cancelled reader must stop now, not drain them.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (!_finished)
                Abort();
        }
    }

    /// <summary>Asks the engine to cancel the sequence (no-op once it finished).</summary>
    public void Abort()
    {
        if (_finished)
            return;
        _finished = true;
        _abort(SequenceId);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }
}
