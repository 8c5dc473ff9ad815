using InferenceServer.Api.Generation;
using InferenceServer.Api.Output;
using InferenceServer.Api.Streaming;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Scheduling;
using InferenceServer.Engine.Sequences;

namespace InferenceServer.Api.Serving;

/// <summary>
/// The output state of one choice: token results become text (detokenizer), are cut at stop strings, paired with
/// their logprobs, then split into reasoning, content and tool calls (<see cref="ChoiceOutputParser"/>). Stop strings
/// apply to the raw text, as llama.cpp's server applies them. Whether the choice still runs is the
/// <see cref="OutputProcessor"/>'s to know: it hands a choice no result after the one that ended it.
/// </summary>
internal sealed class ChoiceOutput(int index, IncrementalDetokenizer detokenizer, IReadOnlyList<string> stop, ITokenizer tokenizer,
    OutputParsing parsing)
{
    private readonly StopStringMatcher _stop = new(stop);
    private readonly LogprobTracker _logprobs = new(tokenizer);
    private readonly ChoiceOutputParser _parser = new(parsing);
    private int _numReasoningTokens;

    /// <summary>True when a stop string ended the choice: the caller aborts its sequence.</summary>
    public bool Stopped => _stop.Stopped;

    /// <summary>The event for <paramref name="result"/>, or null when it adds nothing to send.</summary>
    public GenerationEvent? Add(StepResult result)
    {
        string safe = _stop.Add(Detokenize(result));
        FinishReason? finish = _stop.Stopped ? FinishReason.Stop : result.FinishReason;
        if (finish is not null && !_stop.Stopped)
            safe += _stop.Flush();
        bool ended = finish is not null;
        var released = _logprobs.Release(safe, ended, _stop.Stopped);
        var delta = _parser.Add(safe);
        if (result.TokenId is not null && (delta.Reasoning.Length > 0 || _parser.InReasoning))
            _numReasoningTokens++;
        if (ended)
            delta = Merge(delta, _parser.Finish(cut: _stop.Stopped || finish == FinishReason.Length));
        if (delta.IsEmpty && finish is null && released is null)
            return null;
        return new GenerationEvent(index, delta.Content, finish, result.NumPromptTokens, result.NumOutputTokens, result.NumCachedTokens,
            result.QueueTime, released)
        {
            Reasoning = delta.Reasoning,
            ToolCalls = delta.ToolCalls,
            NumReasoningTokens = _numReasoningTokens,
            NumToolCalls = _parser.NumToolCalls,
            EndedByStopString = _stop.Stopped,
        };
    }

    // The text completed by a result's token (all held bytes at the choice's end), recorded with its logprobs. An
    // end-of-generation token shows no text and is not listed in logprobs either.
    private string Detokenize(StepResult result)
    {
        bool shown = result.TokenId is not null && !result.IsEndOfGeneration;
        string text = shown ? detokenizer.Add(result.TokenId!.Value) : "";
        _logprobs.Add(shown ? result.Logprobs : null, text);
        if (result.FinishReason is null)
            return text;
        string rest = detokenizer.Flush();
        _logprobs.Add(null, rest);
        return text + rest;
    }

    private static OutputDelta Merge(OutputDelta a, OutputDelta b) => b.IsEmpty ? a : a.IsEmpty ? b
        : new(a.Reasoning + b.Reasoning, a.Content + b.Content, [.. a.ToolCalls, .. b.ToolCalls]);
}
