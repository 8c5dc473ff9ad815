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
        if (i >= s.Length || s[i] != '{')
            return new(i >= s.Length ? JsonWalk.Incomplete : JsonWalk.Malformed, null, -1, -1);
        var shape = new CallShape(JsonWalk.Incomplete, null, -1, -1);
        i = JsonWalk.SkipWhitespace(s, i + 1);
        while (true)
        {
            if (i >= s.Length)
                return shape;
            if (s[i] == '}')
                return shape with { End = i + 1 };
            var (key, valueStart, valueEnd) = Member(s, i);
            if (valueEnd == JsonWalk.Malformed)
                return shape with { End = JsonWalk.Malformed };
            if (key is "arguments" or "parameters" && shape.ArgumentsStart < 0)
                shape = shape with { ArgumentsStart = valueStart, ArgumentsEnd = valueEnd };
            else if (key == "name" && valueEnd >= 0 && s[valueStart] == '"')
                shape = shape with { Name = ToolCallBuilder.Decode(s[valueStart..valueEnd]) };
            if (valueEnd < 0)
                return shape;
            i = JsonWalk.SkipWhitespace(s, valueEnd);
            if (i < s.Length && s[i] == ',')
                i = JsonWalk.SkipWhitespace(s, i + 1);
            else if (i < s.Length && s[i] != '}')
                return shape with { End = JsonWalk.Malformed };
        }
    }

    // One "key": value member starting at i: the key (null until complete), where the value starts (-1 until it does)
    // and ends (Incomplete / Malformed as JsonWalk reports).
    private static (string? Key, int ValueStart, int ValueEnd) Member(string s, int i)
    {
        if (s[i] != '"')
            return (null, -1, JsonWalk.Malformed);
        int keyEnd = JsonWalk.String(s, i);
        if (keyEnd < 0)
            return (null, -1, keyEnd);
        if (ToolCallBuilder.Decode(s[i..keyEnd]) is not { } key)
            return (null, -1, JsonWalk.Malformed);
        int colon = JsonWalk.SkipWhitespace(s, keyEnd);
        if (colon < s.Length && s[colon] != ':')
            return (key, -1, JsonWalk.Malformed);
        int valueStart = JsonWalk.SkipWhitespace(s, colon + 1);
        return valueStart >= s.Length ? (key, -1, JsonWalk.Incomplete) : (key, valueStart, JsonWalk.Value(s, valueStart));
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
