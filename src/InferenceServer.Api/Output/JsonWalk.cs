namespace InferenceServer.Api.Output;

/// <summary>
/// Measures JSON values in text that may still be growing (RFC 8259 syntax, loosely: numbers and literals are
/// taken as runs of their characters). Each method returns the index just past the value, <see cref="Incomplete"/> when
/// the text ends inside it, or <see cref="Malformed"/> when it cannot be JSON.
/// </summary>
internal static class JsonWalk
{
    /// <summary>The text ends inside the value.</summary>
    public const int Incomplete = -1;

    /// <summary>The text is not JSON at this point.</summary>
    public const int Malformed = -2;

    private const int MaxDepth = 64;

    /// <summary>The first index at or after <paramref name="i"/> that is not JSON whitespace.</summary>
    public static int SkipWhitespace(string s, int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\r')
            i++;
        return i;
    }

    /// <summary>The end of the value starting at <paramref name="i"/> (no leading whitespace).</summary>
    public static int Value(string s, int i, int depth = 0)
    {
        if (i >= s.Length)
            return Incomplete;
        if (depth > MaxDepth)
            return Malformed;
        return s[i] switch
        {
            '"' => String(s, i),
            '{' => Container(s, i, '}', depth, member: true),
            '[' => Container(s, i, ']', depth, member: false),
            '-' or (>= '0' and <= '9') => Run(s, i, c => c is '-' or '+' or '.' or 'e' or 'E' or (>= '0' and <= '9')),
            't' => Literal(s, i, "true"),
            'f' => Literal(s, i, "false"),
            'n' => Literal(s, i, "null"),
            _ => Malformed,
        };
    }

    /// <summary>The end of the string starting at <paramref name="i"/> (its opening quote).</summary>
    public static int String(string s, int i)
    {
        for (int j = i + 1; j < s.Length; j++)
        {
            if (s[j] == '\\')
                j++;
            else if (s[j] == '"')
                return j + 1;
            else if (s[j] < ' ')
                return Malformed;
        }
        return Incomplete;
    }

    private static int Container(string s, int i, char close, int depth, bool member)
    {
        int j = SkipWhitespace(s, i + 1);
        if (j < s.Length && s[j] == close)
            return j + 1;
        while (true)
        {
            if (member)
            {
                if (j >= s.Length)
                    return Incomplete;
                if (s[j] != '"')
                    return Malformed;
                j = String(s, j);
                if (j < 0)
                    return j;
                j = SkipWhitespace(s, j);
                if (j >= s.Length)
                    return Incomplete;
                if (s[j] != ':')
                    return Malformed;
                j = SkipWhitespace(s, j + 1);
            }
            j = Value(s, j, depth + 1);
            if (j < 0)
                return j;
            j = SkipWhitespace(s, j);
            if (j >= s.Length)
                return Incomplete;
            if (s[j] == close)
                return j + 1;
            if (s[j] != ',')
                return Malformed;
            j = SkipWhitespace(s, j + 1);
        }
    }

    private static int Run(string s, int i, Func<char, bool> part)
    {
        int j = i;
        while (j < s.Length && part(s[j]))
            j++;
        return j < s.Length ? j : Incomplete;
    }

    private static int Literal(string s, int i, string literal)
    {
        int n = Math.Min(literal.Length, s.Length - i);
        if (string.CompareOrdinal(s, i, literal, 0, n) != 0)
            return Malformed;
        return n < literal.Length ? Incomplete : i + literal.Length;
    }
}
