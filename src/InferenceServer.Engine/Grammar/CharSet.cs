namespace InferenceServer.Engine.Grammar;

/// <summary>
/// GBNF for one character of a set as it appears inside a JSON string: plain characters as a class, and the ones JSON
/// must escape (<c>"</c>, <c>\</c>, control characters) as their escape sequences.
/// </summary>
internal static class CharSet
{
    /// <summary>The expression for <paramref name="ranges"/> (inclusive code point ranges).</summary>
    /// <exception cref="FormatException">The set is empty.</exception>
    public static string ToGbnf(IReadOnlyList<(int Lo, int Hi)> ranges)
    {
        var plain = new List<string>();
        var escaped = new SortedSet<int>();
        foreach (var (lo, hi) in ranges)
        {
            int start = lo;
            for (int c = lo; c <= hi + 1; c++)
            {
                bool special = c <= hi && NeedsEscape(c);
                if (c > hi || special)
                {
                    if (c > start)
                        plain.Add(c - 1 == start ? Gbnf.ClassChar(start) : $"{Gbnf.ClassChar(start)}-{Gbnf.ClassChar(c - 1)}");
                    if (special)
                        escaped.Add(c);
                    start = c + 1;
                }
                if (c > 0x7F && c <= hi)
                {
                    // Past ASCII nothing needs escaping: keep the rest of the range whole.
                    plain.Add(start == hi ? Gbnf.ClassChar(hi) : $"{Gbnf.ClassChar(start)}-{Gbnf.ClassChar(hi)}");
                    start = hi + 1;
                    break;
                }
            }
        }
        var parts = new List<string>();
        if (plain.Count == 0 && escaped.Count == 0)
            throw new FormatException("empty character class");
        if (plain.Count > 0)
            parts.Add("[" + string.Concat(plain) + "]");
        parts.AddRange(escaped.Select(c => Gbnf.Literal(Escape(c))));
        return parts.Count == 1 ? parts[0] : "(" + string.Join(" | ", parts) + ")";
    }

    private static bool NeedsEscape(int c) => c is '"' or '\\' or < 0x20;

    private static string Escape(int c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\b' => "\\b",
        '\f' => "\\f",
        _ => $"\\u{c:x4}",
    };
}
