using System.Text;

namespace InferenceServer.Api.Output;

/// <summary>
/// Splits reply text into reasoning and the rest, incrementally: reasoning is the text inside a <c>&lt;think&gt;</c> …
/// <c>&lt;/think&gt;</c> block at the start of the reply (Qwen3, QwQ, DeepSeek R1), or from the start up to
/// <c>&lt;/think&gt;</c> when the prompt already opened the block. Whitespace at either end of the reasoning and right
/// after the block is dropped; a reply that ends inside the block is all reasoning.
/// </summary>
internal sealed class ReasoningParser(bool startsInReasoning)
{
    private const string Open = "<think>";
    private const string Close = "</think>";
    private static readonly string[] CloseOnly = [Close];

    private enum State { Start, Reasoning, AfterReasoning, Content }

    private State _state = startsInReasoning ? State.Reasoning : State.Start;
    private string _pending = "";
    private bool _reasoningStarted;

    /// <summary>The tags, as the markers the model's output must show as text.</summary>
    public static IReadOnlyList<string> Tags { get; } = [Open, Close];

    /// <summary>True while the text read so far ends inside the reasoning block.</summary>
    public bool InReasoning => _state == State.Reasoning;

    /// <summary>Adds text; appends to <paramref name="reasoning"/> and <paramref name="content"/>.</summary>
    public void Add(string text, StringBuilder reasoning, StringBuilder content)
    {
        _pending += text;
        while (_pending.Length > 0 && Step(reasoning, content))
        {
        }
    }

    /// <summary>Ends the reply: held text goes where its state says.</summary>
    public void Finish(StringBuilder reasoning, StringBuilder content)
    {
        if (_state == State.Reasoning)
            AppendReasoning(_pending.TrimEnd(), reasoning);
        else if (_state != State.AfterReasoning)
            content.Append(_pending);
        _pending = "";
    }

    private bool Step(StringBuilder reasoning, StringBuilder content)
    {
        switch (_state)
        {
            case State.Start:
                var rest = _pending.AsSpan().TrimStart();
                if (rest.StartsWith(Open))
                {
                    _pending = rest[Open.Length..].ToString();
                    _state = State.Reasoning;
                    return true;
                }
                if (rest.Length < Open.Length && Open.AsSpan().StartsWith(rest))
                    return false;
                _state = State.Content;
                return true;
            case State.Reasoning:
                int close = _pending.IndexOf(Close, StringComparison.Ordinal);
                if (close < 0)
                {
                    // Trailing whitespace is held: it is dropped if the block closes next.
                    int safe = _pending.AsSpan(0, MarkerSearch.SafeLength(_pending, CloseOnly)).TrimEnd().Length;
                    AppendReasoning(_pending[..safe], reasoning);
                    _pending = _pending[safe..];
                    return false;
                }
                AppendReasoning(_pending[..close].TrimEnd(), reasoning);
                _pending = _pending[(close + Close.Length)..];
                _state = State.AfterReasoning;
                return true;
            case State.AfterReasoning:
                _pending = _pending.TrimStart();
                if (_pending.Length > 0)
                    _state = State.Content;
                return _pending.Length > 0;
            default:
                content.Append(_pending);
                _pending = "";
                return false;
        }
    }

    private void AppendReasoning(string text, StringBuilder reasoning)
    {
        if (!_reasoningStarted)
            text = text.TrimStart();
        _reasoningStarted |= text.Length > 0;
        reasoning.Append(text);
    }
}
