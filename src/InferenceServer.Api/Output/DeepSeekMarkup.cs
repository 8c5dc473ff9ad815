using InferenceServer.Engine.Tools;

namespace InferenceServer.Api.Output;

/// <summary>
/// Reads the markup around one DeepSeek tool call (see <see cref="ToolCallFormat.DeepSeekR1"/> and
/// <see cref="ToolCallFormat.DeepSeekV31"/>) in text that is still growing. Positions count from the text's start:
/// a positive end is where the markup ends, 0 means more text is needed, -1 that the text is not this markup.
/// </summary>
internal static class DeepSeekMarkup
{
    private const string Fence = "```";
    private const string JsonFence = "```json";

    /// <summary>
    /// The header after <c>&lt;｜tool▁call▁begin｜&gt;</c>: R1 <c>function&lt;｜tool▁sep｜&gt;name\n```json</c>, V3.1
    /// <c>name&lt;｜tool▁sep｜&gt;</c>; its end and the call's name.
    /// </summary>
    public static (int End, string? Name) Header(string text, bool r1)
    {
        int sep = text.IndexOf(ToolCallMarkers.DeepSeekSep, StringComparison.Ordinal);
        if (sep < 0)
            return (IsName(text.AsSpan(0, MarkerSearch.SafeLength(text, [ToolCallMarkers.DeepSeekSep]))) ? 0 : -1, null);
        if (!IsName(text.AsSpan(0, sep)) || sep == 0)
            return (-1, null);
        int start = sep + ToolCallMarkers.DeepSeekSep.Length;
        if (!r1)
            return (start, text[..sep]);
        int line = text.IndexOf('\n', start);
        if (line < 0)
            return (IsName(text.AsSpan(start)) ? 0 : -1, null);
        string name = text[start..line].Trim();
        if (name.Length == 0 || !IsName(name))
            return (-1, null);
        int fence = JsonWalk.SkipWhitespace(text, line);
        var rest = text.AsSpan(fence);
        if (rest.StartsWith(JsonFence))
            return (fence + JsonFence.Length, name);
        return (JsonFence.AsSpan().StartsWith(rest) ? 0 : -1, null);
    }

    /// <summary>
    /// The end of <c>&lt;｜tool▁call▁end｜&gt;</c> after a call's arguments, past blanks and (R1) the closing fence;
    /// without the word (not closed), the end of the blanks and fence; -1 when more text is needed.
    /// </summary>
    public static (int End, bool Closed) CallEnd(string text)
    {
        int i = JsonWalk.SkipWhitespace(text, 0);
        var rest = text.AsSpan(i);
        if (rest.StartsWith(Fence))
        {
            i = JsonWalk.SkipWhitespace(text, i + Fence.Length);
            rest = text.AsSpan(i);
        }
        else if (Fence.AsSpan().StartsWith(rest))
            return (-1, false);
        if (rest.StartsWith(ToolCallMarkers.DeepSeekCallEnd))
            return (i + ToolCallMarkers.DeepSeekCallEnd.Length, true);
        return ToolCallMarkers.DeepSeekCallEnd.AsSpan().StartsWith(rest) ? (-1, false) : (i, false);
    }

    /// <summary>
    /// What follows <c>&lt;｜tool▁calls▁begin｜&gt;</c> or a call: the next <c>&lt;｜tool▁call▁begin｜&gt;</c> (true) or
    /// <c>&lt;｜tool▁calls▁end｜&gt;</c> (false), past blanks, and its end.
    /// </summary>
    public static (int End, bool NextCall) Between(string text)
    {
        int i = JsonWalk.SkipWhitespace(text, 0);
        var rest = text.AsSpan(i);
        if (rest.StartsWith(ToolCallMarkers.DeepSeekCallBegin))
            return (i + ToolCallMarkers.DeepSeekCallBegin.Length, true);
        if (rest.StartsWith(ToolCallMarkers.DeepSeekCallsEnd))
            return (i + ToolCallMarkers.DeepSeekCallsEnd.Length, false);
        bool prefix = ToolCallMarkers.DeepSeekCallBegin.AsSpan().StartsWith(rest) || ToolCallMarkers.DeepSeekCallsEnd.AsSpan().StartsWith(rest);
        return (prefix ? 0 : -1, false);
    }

    private static bool IsName(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                return false;
        return true;
    }
}
