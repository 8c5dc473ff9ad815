namespace InferenceServer.Api.Output;

/// <summary>
/// The parts of a tool call found in its text so far: where the value ends (or <see cref="JsonWalk.Incomplete"/> /
/// <see cref="JsonWalk.Malformed"/>), the name once its string is complete, and the span of the arguments value
/// (end <see cref="JsonWalk.Incomplete"/> while it grows; start -1 before it begins).
/// </summary>
internal readonly record struct CallShape(int End, string? Name, int ArgumentsStart, int ArgumentsEnd)
{
    /// <summary>A call object <c>{"name": …, "arguments"|"parameters": …}</c> at the start of <paramref name="s"/> (after whitespace).</summary>
    public static CallShape OfObject(string s)
    {
        int i = JsonWalk.SkipWhitespace(s, 0);
        if (i >= s.Length)
            return new(JsonWalk.Incomplete, null, -1, -1);
        if (s[i] != '{')
            return new(JsonWalk.Malformed, null, -1, -1);
        string? name = null;
        int argsStart = -1, argsEnd = -1;
        i = JsonWalk.SkipWhitespace(s, i + 1);
        while (true)
        {
            if (i >= s.Length)
                return new(JsonWalk.Incomplete, name, argsStart, argsEnd);
            if (s[i] == '}')
                return new(i + 1, name, argsStart, argsEnd);
            if (s[i] != '"')
                return new(JsonWalk.Malformed, name, argsStart, argsEnd);
            int keyEnd = JsonWalk.String(s, i);
            if (keyEnd < 0)
                return new(keyEnd, name, argsStart, argsEnd);
            if (ToolCallBuilder.Decode(s[i..keyEnd]) is not { } key)
                return new(JsonWalk.Malformed, name, argsStart, argsEnd);
            int colon = JsonWalk.SkipWhitespace(s, keyEnd);
            if (colon >= s.Length)
                return new(JsonWalk.Incomplete, name, argsStart, argsEnd);
            if (s[colon] != ':')
                return new(JsonWalk.Malformed, name, argsStart, argsEnd);
            int valueStart = JsonWalk.SkipWhitespace(s, colon + 1);
            if (valueStart >= s.Length)
                return new(JsonWalk.Incomplete, name, argsStart, argsEnd);
            int valueEnd = JsonWalk.Value(s, valueStart);
            if (valueEnd == JsonWalk.Malformed)
                return new(JsonWalk.Malformed, name, argsStart, argsEnd);
            if (key is "arguments" or "parameters" && argsStart < 0)
                (argsStart, argsEnd) = (valueStart, valueEnd);
            else if (key == "name" && valueEnd >= 0 && s[valueStart] == '"')
                name = ToolCallBuilder.Decode(s[valueStart..valueEnd]);
            if (valueEnd < 0)
                return new(JsonWalk.Incomplete, name, argsStart, argsEnd);
            i = JsonWalk.SkipWhitespace(s, valueEnd);
            if (i < s.Length && s[i] == ',')
                i = JsonWalk.SkipWhitespace(s, i + 1);
            else if (i < s.Length && s[i] != '}')
                return new(JsonWalk.Malformed, name, argsStart, argsEnd);
        }
    }

    /// <summary>An arguments value alone at the start of <paramref name="s"/> (after whitespace).</summary>
    public static CallShape OfValue(string s)
    {
        int i = JsonWalk.SkipWhitespace(s, 0);
        if (i >= s.Length)
            return new(JsonWalk.Incomplete, null, -1, -1);
        int end = JsonWalk.Value(s, i);
        return new(end, null, i, end);
    }
}
