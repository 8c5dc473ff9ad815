using System.Text;

namespace InferenceServer.Engine.Grammar;

/// <summary>
/// Explains common GBNF mistakes (no <c>root</c> rule, a rule used but never defined, unbalanced brackets or quotes).
/// llama.cpp prints its parser's reason to stderr only and reports just "failed to parse grammar" through its log, so
/// this gives callers something to act on; it does not decide validity — llama.cpp does.
/// </summary>
public static class GbnfDiagnostics
{
    /// <summary>The first problem found in <paramref name="gbnf"/>, or null when none of these checks fires.</summary>
    public static string? Explain(string gbnf)
    {
        var defined = new HashSet<string>();
        var used = new List<string>();
        int depth = 0;
        var word = new StringBuilder();
        for (int i = 0; i < gbnf.Length; i++)
        {
            char c = gbnf[i];
            if (IsNameChar(c))
            {
                word.Append(c);
                continue;
            }
            if (word.Length > 0)
            {
                (Defines(gbnf, i) ? (ICollection<string>)defined : used).Add(word.ToString());
                word.Clear();
            }
            switch (c)
            {
                case '"' or '[':
                    int end = SkipQuoted(gbnf, i, c == '"' ? '"' : ']');
                    if (end < 0)
                        return $"a {(c == '"' ? "string literal" : "character class")} opened at offset {i} is never closed";
                    i = end;
                    break;
                case '#':
                    while (i + 1 < gbnf.Length && gbnf[i + 1] != '\n')
                        i++;
                    break;
                case '(':
                    depth++;
                    break;
                case ')' when --depth < 0:
                    return $"a ')' at offset {i} closes no '('";
                case '{':
                    // Repetition counts {m,n}: digits, not rule names.
                    while (i + 1 < gbnf.Length && gbnf[i] != '}')
                        i++;
                    break;
            }
        }
        if (word.Length > 0)
            used.Add(word.ToString());
        if (depth > 0)
            return "a '(' is never closed";
        if (!defined.Contains("root"))
            return "there is no 'root' rule";
        return used.FirstOrDefault(u => !defined.Contains(u)) is { } missing ? $"rule '{missing}' is used but never defined" : null;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-';

    private static bool Defines(string text, int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
            i++;
        return text.AsSpan(i).StartsWith("::=");
    }

    private static int SkipQuoted(string text, int start, char close)
    {
        for (int i = start + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
                i++;
            else if (text[i] == close)
                return i;
        }
        return -1;
    }
}
