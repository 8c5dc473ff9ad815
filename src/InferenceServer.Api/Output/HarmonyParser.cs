using System.Text;
using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>
/// Splits a reply in OpenAI's harmony format (gpt-oss, <see cref="ToolCallFormat.Harmony"/>) into reasoning, content and
/// tool calls, incrementally (any split of the text gives the same result). The prompt ends with
/// <c>&lt;|start|&gt;assistant</c>, so the reply opens with the first message's header; later messages open with
/// <c>&lt;|start|&gt;</c>. A header runs to <c>&lt;|message|&gt;</c>; the body after it, up to <c>&lt;|end|&gt;</c>,
/// <c>&lt;|call|&gt;</c>, <c>&lt;|return|&gt;</c>, the next <c>&lt;|start|&gt;</c> or the end of the text, goes where the
/// header says:
/// <list type="bullet">
/// <item>recipient <c>functions.NAME</c> (<c>to=functions.NAME</c> before or after the channel): a call of NAME whose
/// body is its JSON arguments, read to the value's end (a harmony word inside a string is part of it) and streamed as
/// they arrive (text after the JSON is dropped; an empty body is <c>{}</c>; a harmony word outside the JSON's strings
/// ends unfinished arguments);</item>
/// <item>another recipient (a built-in tool such as <c>browser.search</c>), a role other than assistant, or any call
/// while tools are off: dropped, as llama.cpp's server does;</item>
/// <item>channel <c>analysis</c>: reasoning; anything else (<c>final</c>, <c>commentary</c> without recipient): content.</item>
/// </list>
/// Harmony words never reach content or reasoning: inside a body they are dropped. Text that cannot be a header (a
/// character no header has, or more than 256 characters before <c>&lt;|message|&gt;</c>) is content, and so are plain
/// words without markup the reply ends with (a reply that ignores the format).
/// </summary>
internal sealed class HarmonyParser(bool parseCalls, bool parallel, Func<string> newId)
{
    private const int MaxHeaderLength = 256;
    private const string FunctionsPrefix = "functions.";
    private static readonly int MaxWordLength = ToolCallMarkers.Harmony.Max(w => w.Length);

    private enum State { Header, Body, Between }

    private enum Route { Reasoning, Content, Call, Drop }

    private readonly record struct Sinks(StringBuilder Reasoning, StringBuilder Content, List<ToolCallDelta> Calls);

    private readonly StringBuilder _header = new();
    private readonly StringBuilder _headerText = new();
    private bool _headerHasMarkup;
    private bool _firstMessage = true;
    private string _pending = "";
    private State _state = State.Header;
    private Route _route;
    private ToolCallBuilder? _call;
    private bool _sendCall;
    private bool _callArguments;
    private bool _callEnded;
    private bool _inString;
    private bool _escaped;

    /// <summary>Number of calls made so far.</summary>
    public int NumCalls { get; private set; }

    /// <summary>True while the text so far ends inside an analysis body.</summary>
    public bool InReasoning => _state == State.Body && _route == Route.Reasoning;

    /// <summary>Adds text; appends to <paramref name="reasoning"/>, <paramref name="content"/> and <paramref name="calls"/>.</summary>
    public void Add(string text, StringBuilder reasoning, StringBuilder content, List<ToolCallDelta> calls)
    {
        var sinks = new Sinks(reasoning, content, calls);
        _pending += text;
        while (true)
        {
            if (_state == State.Body && _route == Route.Call && !_callEnded)
            {
                if (!ReadArguments(sinks))
                    return;
                continue;
            }
            var (index, word) = MarkerSearch.First(_pending, ToolCallMarkers.Harmony);
            if (word is null)
            {
                int safe = MarkerSearch.SafeLength(_pending, ToolCallMarkers.Harmony);
                Text(_pending[..safe], sinks);
                _pending = _pending[safe..];
                return;
            }
            Text(_pending[..index], sinks);
            _pending = _pending[(index + word.Length)..];
            Word(word, sinks);
        }
    }

    /// <summary>
    /// Ends the reply. <paramref name="cut"/>: held text that may be the start of a harmony word is dropped (else it is
    /// text); an unfinished call ends where its arguments got to.
    /// </summary>
    public void Finish(StringBuilder reasoning, StringBuilder content, List<ToolCallDelta> calls, bool cut)
    {
        var sinks = new Sinks(reasoning, content, calls);
        if (!cut)
            Text(_pending, sinks);
        _pending = "";
        if (_state == State.Header)
            AbandonHeader(sinks);
        CloseBody(sinks);
        _state = State.Between;
    }

    private void Text(string text, Sinks sinks)
    {
        if (text.Length == 0)
            return;
        switch (_state)
        {
            case State.Header:
                _header.Append(text);
                _headerText.Append(text);
                if (_header.Length > MaxHeaderLength || !text.All(IsHeaderChar))
                {
                    // Not a header: the text (without the header's markup) opens a content body.
                    string plain = _headerText.ToString();
                    ResetHeader();
                    Open(Route.Content);
                    Body(plain, sinks);
                }
                break;
            case State.Between:
                text = text.TrimStart();
                if (text.Length == 0)
                    return;
                Open(Route.Content);
                Body(text, sinks);
                break;
            default:
                Body(text, sinks);
                break;
        }
    }

    private void Word(string word, Sinks sinks)
    {
        switch (word)
        {
            case ToolCallGrammar.HarmonyStart:
                if (_state == State.Header)
                    AbandonHeader(sinks);
                CloseBody(sinks);
                StartHeader();
                break;
            case ToolCallGrammar.HarmonyChannel or ToolCallGrammar.HarmonyConstrain when _state != State.Body:
                if (_state == State.Between)
                    StartHeader();
                _header.Append(word);
                _headerHasMarkup = true;
                break;
            case ToolCallGrammar.HarmonyMessage when _state == State.Header:
                Open(Classify(HarmonyHeader.Parse(_header.ToString())), sinks);
                break;
            case ToolCallGrammar.HarmonyMessage when _state == State.Between:
                Open(Route.Content);
                break;
            case ToolCallGrammar.HarmonyEnd or ToolCallGrammar.HarmonyCall or ToolCallGrammar.HarmonyReturn:
                if (_state == State.Header)
                    AbandonHeader(sinks);
                CloseBody(sinks);
                _state = State.Between;
                break;
        }
    }

    private void StartHeader()
    {
        ResetHeader();
        _state = State.Header;
        _headerHasMarkup = true;
        _firstMessage = false;
    }

    // A header that never reached <|message|>: plain words at the reply's start are content, markup is dropped.
    private void AbandonHeader(Sinks sinks)
    {
        if (!_headerHasMarkup && !_header.ToString().Contains("to=", StringComparison.Ordinal))
            sinks.Content.Append(_headerText);
        ResetHeader();
        _state = State.Between;
    }

    private void ResetHeader()
    {
        _header.Clear();
        _headerText.Clear();
        _headerHasMarkup = false;
    }

    private (Route Route, string? Name) Classify(HarmonyHeader header)
    {
        if (!_firstMessage && header.Role.Length > 0 && header.Role != "assistant")
            return (Route.Drop, null);
        if (header.Recipient is { } recipient)
            return parseCalls && recipient.StartsWith(FunctionsPrefix, StringComparison.Ordinal) && recipient.Length > FunctionsPrefix.Length
                ? (Route.Call, recipient[FunctionsPrefix.Length..])
                : (Route.Drop, null);
        return (header.Channel == "analysis" ? Route.Reasoning : Route.Content, null);
    }

    private void Open(Route route)
    {
        ResetHeader();
        _state = State.Body;
        _route = route;
    }

    private void Open((Route Route, string? Name) target, Sinks sinks)
    {
        Open(target.Route);
        if (target.Route != Route.Call)
            return;
        _sendCall = parallel || NumCalls == 0;
        _callArguments = false;
        _callEnded = false;
        _inString = false;
        _escaped = false;
        _call = new ToolCallBuilder(NumCalls, newId(), target.Name);
        // With the name known, the builder sends the call's first piece at once.
        _call.Add("", _sendCall ? sinks.Calls : []);
    }

    private void Body(string text, Sinks sinks)
    {
        switch (_route)
        {
            case Route.Reasoning:
                sinks.Reasoning.Append(text);
                break;
            case Route.Content:
                sinks.Content.Append(text);
                break;
            case Route.Call when !_callEnded:
                FeedCall(text, sinks);
                break;
        }
    }

    // Feeds the open call its arguments up to a harmony word outside their strings (a word inside a string is part of
    // it), holding back a possible start of one; false when more text is needed.
    private bool ReadArguments(Sinks sinks)
    {
        var (word, safe) = ScanArguments(_pending);
        int end = word >= 0 ? word : safe;
        string rest = _pending[end..];
        string after = FeedCall(_pending[..end], sinks);
        _pending = _callEnded ? after + rest : rest;
        if (word >= 0)
            _callEnded = true;
        return _callEnded && _pending.Length > 0;
    }

    // Where a harmony word starts outside the arguments' strings (-1: none) and how much of the text can be fed now.
    private (int Word, int Safe) ScanArguments(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (_inString)
            {
                if (_escaped)
                    _escaped = false;
                else if (c == '\\')
                    _escaped = true;
                else if (c == '"')
                    _inString = false;
            }
            else if (c == '"')
                _inString = true;
            else if (c == '<')
            {
                string rest = text[i..Math.Min(text.Length, i + MaxWordLength)];
                if (ToolCallMarkers.Harmony.Any(w => rest.StartsWith(w, StringComparison.Ordinal)))
                    return (i, i);
                if (ToolCallMarkers.Harmony.Any(w => w.StartsWith(rest, StringComparison.Ordinal)))
                    return (-1, i);
            }
        }
        return (-1, text.Length);
    }

    // Feeds the open call; returns the text after its JSON once complete.
    private string FeedCall(string text, Sinks sinks)
    {
        var output = _sendCall ? sinks.Calls : [];
        int before = output.Count;
        var (state, after) = _call!.Add(text, output);
        _callArguments |= output.Skip(before).Any(d => d.Arguments.Length > 0);
        _callEnded = state != CallState.Running;
        return after;
    }

    private void CloseBody(Sinks sinks)
    {
        if (_state != State.Body || _route != Route.Call || _call is null)
            return;
        if (!_callArguments && _sendCall)
            sinks.Calls.Add(new ToolCallDelta(NumCalls, null, null, "{}"));
        NumCalls++;
        _call = null;
        _route = Route.Drop;
    }

    private static bool IsHeaderChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '=' or ':' or '/' or ' ' or '\t' or '\n' or '\r';
}
