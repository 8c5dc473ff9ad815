using System.Text;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>
/// Splits reply text into content and tool calls in one format, incrementally (any split of the text gives the same
/// result). Text before, between and after calls is content (whitespace next to calls is dropped); markup never is,
/// except that a call that turns out malformed before its name was sent goes to content whole, markup included.
/// Formats: Hermes <c>&lt;tool_call&gt;{…}&lt;/tool_call&gt;</c>; Llama 3.x <c>&lt;|python_tag|&gt;{…}</c> or a reply
/// that starts with <c>{</c>, calls separated by <c>;</c> or whitespace; Mistral <c>[TOOL_CALLS][{…}, …]</c> and
/// <c>[TOOL_CALLS]name[CALL_ID]id[ARGS]{…}</c> (either after <c>[TOOL_CALLS]</c>); DeepSeek R1 and V3.1 calls between
/// <c>&lt;｜tool▁calls▁begin｜&gt;</c> and <c>&lt;｜tool▁calls▁end｜&gt;</c> (see <see cref="DeepSeekMarkup"/>), where text
/// after a call without the closing word is content.
/// </summary>
internal sealed class ToolCallParser(ToolCallFormat format, bool parallel, Func<string> newId) : IToolCallParser
{
    private enum State { Content, AfterOpener, ListItem, MistralName, MistralCallId, InCall, HermesClose, DeepSeekList, DeepSeekHeader, DeepSeekCallEnd }

    private readonly IReadOnlyList<string> _openers = ToolCallMarkers.Openers(format);
    private readonly StringBuilder _raw = new();
    private string _pending = "";
    private State _state = State.Content;
    private ToolCallBuilder? _call;
    private State _afterCall;
    private string? _mistralName;
    private bool _contentSeen;
    private bool _trimContent;
    private bool _startedSinceOpener;

    /// <summary>Number of calls sent so far.</summary>
    public int NumCalls { get; private set; }

    /// <summary>Adds text; appends content to <paramref name="content"/> and call pieces to <paramref name="calls"/>.</summary>
    public void Add(string text, StringBuilder content, List<ToolCallDelta> calls)
    {
        _pending += text;
        while (_pending.Length > 0 && Step(content, calls))
        {
        }
    }

    /// <summary>Ends the reply: held text becomes content, an unfinished call ends where the text did.</summary>
    public void Finish(StringBuilder content, List<ToolCallDelta> calls, bool cut)
    {
        // Held content is the start of a possible opening marker; a cut reply may have been opening a call with it.
        if (_state == State.Content && !cut)
            EmitContent(_pending, content);
        else if (_state == State.Content)
            _pending = "";
        else if (_state == State.InCall && _call!.Started)
            EndCall(_call);
        else if (cut)
            _raw.Clear();
        else if (_state == State.InCall)
        {
            _raw.Append(_call!.Text);
            Fallback(content);
        }
        else if (_state is not (State.HermesClose or State.ListItem or State.DeepSeekList or State.DeepSeekCallEnd) || !_startedSinceOpener)
            Fallback(content);
        _pending = "";
        _state = State.Content;
    }

    // One step of the state machine; false when it needs more text.
    private bool Step(StringBuilder content, List<ToolCallDelta> calls) => _state switch
    {
        State.Content => ScanContent(content),
        State.AfterOpener => AfterOpener(),
        State.ListItem => ListItem(content),
        State.MistralName => MistralName(content),
        State.MistralCallId => MistralCallId(),
        State.InCall => FeedCall(content, calls),
        State.DeepSeekList => DeepSeekList(content),
        State.DeepSeekHeader => DeepSeekHeader(content),
        State.DeepSeekCallEnd => DeepSeekCallEnd(),
        _ => HermesClose(),
    };

    private bool ScanContent(StringBuilder content)
    {
        if (format == ToolCallFormat.Llama3Json && StartsBareCall())
        {
            _pending = _pending.TrimStart(' ', '\t', '\n', '\r', ';');
            _raw.Clear();
            _startedSinceOpener = false;
            BeginCall(null, "");
            return true;
        }
        var (index, marker) = MarkerSearch.First(_pending, _openers);
        if (marker is null)
        {
            int safe = MarkerSearch.SafeLength(_pending, _openers);
            // A Llama 3 reply that may still turn out to be a bare call waits for its first non-blank character.
            if (format == ToolCallFormat.Llama3Json && !_contentSeen && _pending.AsSpan().TrimStart(" \t\n\r;").IsEmpty)
                safe = 0;
            EmitContent(_pending[..safe], content);
            _pending = _pending[safe..];
            return false;
        }
        EmitContent(_pending[..index], content);
        _pending = _pending[(index + marker.Length)..];
        _raw.Clear().Append(marker);
        _startedSinceOpener = false;
        if (format is ToolCallFormat.MistralJson or ToolCallFormat.MistralArgs)
            _state = State.AfterOpener;
        else if (format is ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31)
            _state = State.DeepSeekList;
        else
            BeginCall(null, "");
        return true;
    }

    // A Llama 3 call without the python tag: the reply (or the text after a call) starts with '{'.
    private bool StartsBareCall()
    {
        if (_contentSeen)
            return false;
        var rest = _pending.AsSpan().TrimStart(" \t\n\r;");
        return rest.Length > 0 && rest[0] == '{';
    }

    private bool AfterOpener()
    {
        int i = JsonWalk.SkipWhitespace(_pending, 0);
        if (i >= _pending.Length)
            return false;
        Consume(i);
        _state = _pending[0] == '[' ? State.ListItem : State.MistralName;
        if (_state == State.ListItem)
            Consume(1);
        return true;
    }

    private bool ListItem(StringBuilder content)
    {
        int i = JsonWalk.SkipWhitespace(_pending, 0);
        if (i >= _pending.Length)
            return false;
        char c = _pending[i];
        Consume(c is ',' or ']' ? i + 1 : i);
        if (c == ']')
            _state = State.Content;
        else if (c == '{')
            BeginCall(null, "", State.ListItem);
        else if (c != ',')
            Fallback(content);
        return true;
    }

    private bool MistralName(StringBuilder content)
    {
        var (index, marker) = MarkerSearch.First(_pending, [ToolCallMarkers.MistralArgs, ToolCallMarkers.MistralCallId]);
        if (marker is null)
        {
            if (_pending.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '[' or ']' or ' ')))
                Fallback(content);
            return false;
        }
        _mistralName = _pending[..index].Trim();
        Consume(index + marker.Length);
        if (_mistralName.Length == 0)
            Fallback(content);
        else if (marker == ToolCallMarkers.MistralCallId)
            _state = State.MistralCallId;
        else
            BeginCall(_mistralName, "");
        return true;
    }

    private bool MistralCallId()
    {
        int index = _pending.IndexOf(ToolCallMarkers.MistralArgs, StringComparison.Ordinal);
        if (index < 0)
            return false;
        Consume(index + ToolCallMarkers.MistralArgs.Length);
        BeginCall(_mistralName, "");
        return true;
    }

    private bool DeepSeekList(StringBuilder content)
    {
        var (end, nextCall) = DeepSeekMarkup.Between(_pending);
        if (end == 0)
            return false;
        if (end > 0)
        {
            Consume(end);
            _state = nextCall ? State.DeepSeekHeader : State.Content;
        }
        else if (_startedSinceOpener)
            _state = State.Content;
        else
            Fallback(content);
        return true;
    }

    private bool DeepSeekHeader(StringBuilder content)
    {
        var (end, name) = DeepSeekMarkup.Header(_pending, format == ToolCallFormat.DeepSeekR1);
        if (end == 0)
            return false;
        if (end < 0)
        {
            Fallback(content);
            return false;
        }
        Consume(end);
        BeginCall(name, "", State.DeepSeekCallEnd);
        return true;
    }

    // The call's closing word; without it the text after the call is content.
    private bool DeepSeekCallEnd()
    {
        var (end, closed) = DeepSeekMarkup.CallEnd(_pending);
        if (end < 0)
            return false;
        _pending = _pending[end..];
        _state = closed ? State.DeepSeekList : State.Content;
        return true;
    }

    private void BeginCall(string? name, string text, State after = State.Content)
    {
        _afterCall = after == State.Content && format == ToolCallFormat.Hermes ? State.HermesClose : after;
        _call = new ToolCallBuilder(NumCalls, newId(), name);
        _state = State.InCall;
        _pending = text + _pending;
    }

    private bool FeedCall(StringBuilder content, List<ToolCallDelta> calls)
    {
        var call = _call!;
        string text = _pending;
        _pending = "";
        // With parallel_tool_calls false, calls after the first are read (to find where they end) but not sent.
        var output = parallel || NumCalls == 0 ? calls : [];
        var (state, rest) = call.Add(text, output);
        if (state == CallState.Running)
            return false;
        if (state == CallState.Malformed)
        {
            if (call.Started)
                EndCall(call);
            else
            {
                _raw.Append(call.Text);
                Fallback(content);
            }
            return false;
        }
        EndCall(call);
        _pending = rest;
        _state = _afterCall;
        return true;
    }

    private void EndCall(ToolCallBuilder call)
    {
        if (call.Started)
        {
            NumCalls++;
            _startedSinceOpener = true;
        }
        _call = null;
        _trimContent = true;
        _state = State.Content;
    }

    private bool HermesClose()
    {
        int i = JsonWalk.SkipWhitespace(_pending, 0);
        var rest = _pending.AsSpan(i);
        if (rest.Length < ToolCallMarkers.HermesClose.Length && ToolCallMarkers.HermesClose.AsSpan().StartsWith(rest))
            return false;
        if (rest.StartsWith(ToolCallMarkers.HermesClose))
            _pending = _pending[(i + ToolCallMarkers.HermesClose.Length)..];
        _state = State.Content;
        return true;
    }

    // The text since the opener cannot be a call: it is content, markup included, unless a call of it was already sent.
    private void Fallback(StringBuilder content)
    {
        if (!_startedSinceOpener)
        {
            _contentSeen = true;
            content.Append(_raw).Append(_pending);
        }
        _raw.Clear();
        _pending = "";
        _call = null;
        _state = State.Content;
    }

    private void Consume(int n)
    {
        _raw.Append(_pending, 0, n);
        _pending = _pending[n..];
    }

    private void EmitContent(string text, StringBuilder content)
    {
        if (_trimContent)
        {
            text = text.TrimStart();
            if (text.Length == 0)
                return;
            _trimContent = false;
        }
        if (!string.IsNullOrWhiteSpace(text))
            _contentSeen = true;
        content.Append(text);
    }
}
