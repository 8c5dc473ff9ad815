using System.Runtime.CompilerServices;
using InferenceServer.Api.Contracts;
using InferenceServer.Api.Generation;
using InferenceServer.Engine;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Serving;

/// <summary>
/// The output side of one request: turns the engine's per-choice results into <see cref="GenerationEvent"/>s through
/// each choice's <see cref="ChoiceOutput"/> (detokenizer, stop strings, logprobs, reasoning and tool-call parsing),
/// and is the one place that knows which choices still run, how each ended and the request's token usage. Like vLLM's
/// <c>OutputProcessor</c> with its per-request state.
/// </summary>
internal sealed class OutputProcessor
{
    private readonly GenerationStream _stream;
    private readonly ChoiceOutput[] _choices;
    private readonly FinishReason?[] _finishReasons;
    private readonly string?[] _wireFinishReasons;
    private readonly int[] _completionTokens;
    private readonly int[] _reasoningTokens;
    private int _numRunning;
    private int _promptTokens;
    private int _cachedTokens;

    /// <summary>The output state of <paramref name="request"/>, submitted as <paramref name="stream"/>.</summary>
    public OutputProcessor(GenerationStream stream, ProcessedRequest request, ITokenizer tokenizer)
    {
        _stream = stream;
        int n = stream.NumChoices;
        var parsing = request.Parsing;
        _choices = Enumerable.Range(0, n)
            .Select(i => new ChoiceOutput(i, tokenizer.CreateDetokenizer(parsing.Markers), request.Request.Stop, tokenizer, parsing)).ToArray();
        _finishReasons = new FinishReason?[n];
        _wireFinishReasons = new string?[n];
        _completionTokens = new int[n];
        _reasoningTokens = new int[n];
        _numRunning = n;
    }

    /// <summary>Number of choices.</summary>
    public int NumChoices => _choices.Length;

    /// <summary>True when every choice ended with <c>stop</c> or <c>length</c>.</summary>
    public bool AllCompleted => _finishReasons.All(f => f is FinishReason.Stop or FinishReason.Length);

    /// <summary>Each choice's OpenAI finish reason (<c>tool_calls</c> included); null while it runs or when it never ended.</summary>
    public IReadOnlyList<string?> WireFinishReasons => _wireFinishReasons;

    /// <summary>
    /// Token counts so far: the prompt counts once (it was prefilled once), completion and reasoning tokens add up over
    /// the choices.
    /// </summary>
    public Usage Usage => new(_promptTokens, _completionTokens.Sum())
    {
        PromptTokensDetails = new PromptTokensDetails(_cachedTokens),
        CompletionTokensDetails = new CompletionTokensDetails(_reasoningTokens.Sum()),
    };

    /// <summary>
    /// The events of every choice until all have ended. A stop string ends its choice here (finish reason
    /// <c>stop</c>) and aborts the choice's sequence. Cancelling aborts the request.
    /// </summary>
    /// <exception cref="GenerationFailedException">The engine failed the request.</exception>
    public async IAsyncEnumerable<GenerationEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var result in _stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            int index = result.ChoiceIndex;
            if (result.FinishReason == FinishReason.Error)
                throw new GenerationFailedException(result.Error ?? "The model failed.");
            var choice = _choices[index];
            var e = choice.Add(result);
            if (choice.Stopped)
                _stream.Abort(index);
            if (e is null)
                continue;
            Record(e);
            yield return e;
            if (_numRunning == 0)
                yield break;
        }
    }

    private void Record(GenerationEvent e)
    {
        _promptTokens = e.NumPromptTokens;
        _cachedTokens = Math.Max(_cachedTokens, e.NumCachedTokens);
        _completionTokens[e.ChoiceIndex] = e.NumCompletionTokens;
        _reasoningTokens[e.ChoiceIndex] = Math.Max(_reasoningTokens[e.ChoiceIndex], e.NumReasoningTokens);
        if (e.FinishReason is not { } finish)
            return;
        _finishReasons[e.ChoiceIndex] = finish;
        _wireFinishReasons[e.ChoiceIndex] = e.WireFinishReason;
        _numRunning--;
    }
}
