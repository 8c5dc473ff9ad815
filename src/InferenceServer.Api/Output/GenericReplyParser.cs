using System.Text;
using System.Text.Json;

namespace InferenceServer.Api.Output;

/// <summary>
/// Reads replies in the server's generic tool format (<see cref="Engine.Tools.ToolCallFormat.Generic"/>): a reply that
/// starts with <c>{</c> is held until its JSON object is complete, then <c>{"tool_calls": [{"name", "arguments"}, …]}</c>
/// becomes calls and <c>{"content": "…"}</c> content (text after the object is content unless it is blank). Any other
/// reply, or an object of neither shape, is content as written.
/// </summary>
internal sealed class GenericReplyParser(bool parallel, Func<string> newId) : IToolCallParser
{
    private enum State { Start, Object, Text, After }

    private readonly StringBuilder _held = new();
    private State _state;

    /// <inheritdoc />
    public int NumCalls { get; private set; }

    /// <inheritdoc />
    public void Add(string text, StringBuilder content, List<ToolCallDelta> calls)
    {
        if (_state is State.Text)
        {
            content.Append(text);
            return;
        }
        _held.Append(text);
        if (_state is State.After)
            return;
        string s = _held.ToString();
        int start = JsonWalk.SkipWhitespace(s, 0);
        if (start >= s.Length)
            return;
        _state = s[start] == '{' ? State.Object : State.Text;
        int end = _state == State.Object ? JsonWalk.Value(s, start) : JsonWalk.Malformed;
        if (end == JsonWalk.Incomplete)
            return;
        if (end > 0 && Read(s[start..end], content, calls))
        {
            _held.Clear().Append(s, end, s.Length - end);
            _state = State.After;
            return;
        }
        _state = State.Text;
        content.Append(_held);
        _held.Clear();
    }

    /// <inheritdoc />
    public void Finish(StringBuilder content, List<ToolCallDelta> calls, bool cut)
    {
        if (cut && _state == State.Object)
        {
            string held = _held.ToString();
            var list = System.Text.RegularExpressions.Regex.Match(held, "^\\s*\\{\\s*\"tool_calls\"\\s*:\\s*\\[");
            if (list.Success)
                CutCalls(held, list.Length, calls);
            else
                content.Append(PartialContent(held));
        }
        else if (_state != State.After || !string.IsNullOrWhiteSpace(_held.ToString()))
            content.Append(_held);
        _held.Clear();
    }

    // The calls of a cut {"tool_calls": [… reply: each complete one, then a cut one that is named, with the arguments
    // written so far (as the other formats keep a cut call); a cut call not yet named is dropped.
    private void CutCalls(string held, int i, List<ToolCallDelta> calls)
    {
        while (parallel || NumCalls == 0)
        {
            i = JsonWalk.SkipWhitespace(held, i);
            int end = i < held.Length && held[i] == '{' ? JsonWalk.Value(held, i) : JsonWalk.Malformed;
            if (end > 0)
            {
                using var call = JsonDocument.Parse(held[i..end]);
                if (!IsCall(call.RootElement))
                    return;
                calls.Add(new ToolCallDelta(NumCalls, newId(), call.RootElement.GetProperty("name").GetString(), ""));
                calls.Add(new ToolCallDelta(NumCalls++, null, null,
                    call.RootElement.TryGetProperty("arguments", out var a) ? Arguments(a) : "{}"));
                i = JsonWalk.SkipWhitespace(held, end);
                if (i >= held.Length || held[i] != ',')
                    return;
                i++;
                continue;
            }
            if (end != JsonWalk.Incomplete)
                return;
            var named = System.Text.RegularExpressions.Regex.Match(held[i..],
                "^\\{\\s*\"name\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\")\\s*,\\s*\"arguments\"\\s*:\\s*(.*)$",
                System.Text.RegularExpressions.RegexOptions.Singleline);
            if (named.Success)
            {
                calls.Add(new ToolCallDelta(NumCalls, newId(), JsonSerializer.Deserialize<string>(named.Groups[1].Value), ""));
                calls.Add(new ToolCallDelta(NumCalls++, null, null, named.Groups[2].Value));
            }
            return;
        }
    }

    // The text of a cut {"content": "… reply (its escapes decoded up to the cut); "" for a cut call or other object.
    private static string PartialContent(string held)
    {
        var m = System.Text.RegularExpressions.Regex.Match(held, "^\\s*\\{\\s*\"content\"\\s*:\\s*\"");
        if (!m.Success)
            return "";
        var text = new StringBuilder();
        for (int i = m.Length; i < held.Length && held[i] != '"'; i++)
        {
            if (held[i] != '\\')
            {
                text.Append(held[i]);
                continue;
            }
            if (i + 1 >= held.Length)
                break;
            char e = held[++i];
            if (e == 'u')
            {
                if (i + 4 >= held.Length || !int.TryParse(held.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out int code))
                    break;
                text.Append((char)code);
                i += 4;
                continue;
            }
            text.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', _ => e });
        }
        return text.ToString();
    }

    // A complete object: its calls or content; false when it has neither shape.
    private bool Read(string json, StringBuilder content, List<ToolCallDelta> calls)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return false;
        }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return false;
        bool hasText = root.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String;
        // Text beside the calls is the reply's content too; an empty list of calls is no call.
        if (hasText)
            content.Append(text.GetString());
        if (root.TryGetProperty("tool_calls", out var list) && list.ValueKind == JsonValueKind.Array
            && list.EnumerateArray().All(IsCall))
        {
            foreach (var call in list.EnumerateArray().Take(parallel ? int.MaxValue : 1))
            {
                calls.Add(new ToolCallDelta(NumCalls, newId(), call.GetProperty("name").GetString(), ""));
                calls.Add(new ToolCallDelta(NumCalls++, null, null, call.TryGetProperty("arguments", out var a) ? Arguments(a) : "{}"));
            }
            return true;
        }
        return hasText;
    }

    private static bool IsCall(JsonElement call) => call.ValueKind == JsonValueKind.Object
        && call.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String;

    private static string Arguments(JsonElement arguments) =>
        arguments.ValueKind == JsonValueKind.String ? arguments.GetString()! : arguments.GetRawText();
}
