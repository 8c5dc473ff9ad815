using System.Text;
using System.Text.Json;

namespace InferenceServer.Api.Output;

/// <summary>
/// Reads one tool call's JSON as it grows and streams it as <see cref="ToolCallDelta"/>s: the first piece once the name
/// is known, then the arguments' JSON text as it arrives (a string-valued <c>arguments</c> is sent decoded, whole).
/// In object form the call is <c>{"name": …, "arguments"|"parameters": …}</c>, members in any order; in value form
/// (Mistral's <c>[ARGS]</c>) the whole value is the arguments of a call whose name is already known.
/// </summary>
internal sealed class ToolCallBuilder(int index, string id, string? name)
{
    private readonly StringBuilder _text = new();
    private bool _argumentsDone;
    private int _emitted;

    /// <summary>The first piece has been sent: the call exists for the client.</summary>
    public bool Started { get; private set; }

    /// <summary>Everything fed so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Feeds text; returns the state and, when complete, the text past the call's end.</summary>
    public (CallState State, string After) Add(string text, List<ToolCallDelta> output)
    {
        _text.Append(text);
        string s = _text.ToString();
        var shape = name is null ? CallShape.OfObject(s) : CallShape.OfValue(s);
        if (shape.End == JsonWalk.Malformed)
            return (CallState.Malformed, "");
        string? callName = name ?? shape.Name;
        if (shape.End >= 0 && callName is null)
            return (CallState.Malformed, "");
        if (!Started && callName is not null)
        {
            output.Add(new ToolCallDelta(index, id, callName, ""));
            Started = true;
        }
        if (Started)
            EmitArguments(s, shape, output);
        if (shape.End < 0)
            return (CallState.Running, "");
        if (!_argumentsDone)
            output.Add(new ToolCallDelta(index, null, null, "{}"));
        return (CallState.Complete, s[shape.End..]);
    }

    private void EmitArguments(string s, CallShape shape, List<ToolCallDelta> output)
    {
        if (_argumentsDone || shape.ArgumentsStart < 0)
            return;
        int start = shape.ArgumentsStart;
        if (s[start] == '"')
        {
            if (shape.ArgumentsEnd < 0)
                return;
            string literal = s[start..shape.ArgumentsEnd];
            output.Add(new ToolCallDelta(index, null, null, Decode(literal) ?? literal));
            _argumentsDone = true;
            return;
        }
        int end = shape.ArgumentsEnd >= 0 ? shape.ArgumentsEnd : s.Length;
        if (end - start > _emitted)
        {
            output.Add(new ToolCallDelta(index, null, null, s[(start + _emitted)..end]));
            _emitted = end - start;
        }
        _argumentsDone = shape.ArgumentsEnd >= 0;
    }

    /// <summary>The value of the JSON string literal <paramref name="literal"/>, or null when it is not a valid one (a bad escape).</summary>
    internal static string? Decode(string literal)
    {
        // Without escapes the value is the text between the quotes (JsonWalk.String has refused control characters).
        if (!literal.Contains('\\'))
            return literal[1..^1];
        try
        {
            using var document = JsonDocument.Parse(literal);
            return document.RootElement.GetString();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>Where a tool call's parts are in its text so far.</summary>
internal enum CallState
{
    /// <summary>More text is needed.</summary>
    Running,
    /// <summary>The call ended; the rest of the text is not part of it.</summary>
    Complete,
    /// <summary>The text cannot be a call.</summary>
    Malformed,
}
